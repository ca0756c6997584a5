"""QSettings for window geometry and view options, kept beside the library when SD_DESKTOP_HOME
is set (so tests and portable set-ups never touch the user's real configuration)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from PySide6.QtCore import QSettings


def settings_path() -> Path:
    home = os.environ.get("SD_DESKTOP_HOME")
    if home:
        return Path(home) / "ui-settings.ini"
    return Path(platformdirs.user_config_dir("sd-desktop", appauthor=False)) / "ui-settings.ini"


def open_settings() -> QSettings:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)


def get_bool(s: QSettings, key: str, default: bool) -> bool:
    value = s.value(key, default)
    if isinstance(value, str):  # ini files hand booleans back as text
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def get_int(s: QSettings, key: str, default: int) -> int:
    try:
        return int(s.value(key, default))
    except (TypeError, ValueError):
        return default
