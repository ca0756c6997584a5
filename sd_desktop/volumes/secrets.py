"""Where a remote volume's secrets (passwords, secret keys, key passphrases) are kept: never in the
library. The OS keyring first (through ``keyring``); where none runs (a headless machine, CI:
``keyring`` raises ``NoKeyringError``), a file only its owner can read (mode 0600) beside the
library, with a warning. A private key file stays where the user keeps it: only its path is stored.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

SERVICE = "sd-desktop"
FILE_NAME = "volume-secrets.json"
KEYRING, FILE = "keyring", "file"

_SECRET = re.compile(r"(password|passphrase|secret|token|credential|account_key|sas)", re.IGNORECASE)


def is_secret(option: str) -> bool:
    """Whether a volume option holds a secret (``password``, ``secret_access_key``...)."""
    return bool(_SECRET.search(option))


def split_secrets(options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``(plain, secret)`` options."""
    plain = {k: v for k, v in options.items() if not is_secret(k)}
    return plain, {k: v for k, v in options.items() if is_secret(k)}


def _account(library_dir: Path, name: str) -> str:
    return f"{os.path.realpath(library_dir)}::{name}"


def store(library_dir: Path, name: str, secret: dict[str, str]) -> tuple[str | None, str | None]:
    """Keep ``secret`` for the volume ``name``; returns ``(where, warning)``: where is 'keyring',
    'file' or None (nothing to keep), warning a line to show when the keyring could not be used."""
    if not secret:
        return None, None
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, _account(library_dir, name), json.dumps(secret))
        return KEYRING, None
    except KeyringError:
        pass
    path = library_dir / FILE_NAME
    stored = _read_file(path)
    stored[name] = secret
    _write_file(path, stored)
    return FILE, f"no OS keyring is available; the secrets are in {path} (readable by you only)"


def load(library_dir: Path, name: str, where: str | None) -> dict[str, str]:
    """The secrets kept for ``name`` (empty when there are none, or they are gone)."""
    if where == KEYRING:
        import keyring
        from keyring.errors import KeyringError

        try:
            text = keyring.get_password(SERVICE, _account(library_dir, name))
        except KeyringError:
            return {}
        return json.loads(text) if text else {}
    if where == FILE:
        return dict(_read_file(library_dir / FILE_NAME).get(name, {}))
    return {}


def forget(library_dir: Path, name: str, where: str | None) -> None:
    if where == KEYRING:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(SERVICE, _account(library_dir, name))
        except (KeyringError, PasswordDeleteError):
            pass
    elif where == FILE:
        path = library_dir / FILE_NAME
        stored = _read_file(path)
        if stored.pop(name, None) is not None:
            _write_file(path, stored)


def _read_file(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _write_file(path: Path, data: dict) -> None:
    """Write whole or not at all, and never readable by others, not even for a moment: the
    temporary file is created 0600 before a byte goes in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)  # an old temporary file keeps its mode through O_CREAT
        os.write(fd, json.dumps(data, indent=1, sort_keys=True).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
