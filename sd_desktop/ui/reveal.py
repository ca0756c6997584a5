"""Reveal files in the system file manager, selected when the platform allows it.

Linux: the freedesktop ``org.freedesktop.FileManager1.ShowItems`` D-Bus call (Nautilus, Dolphin,
Nemo, Thunar... select the items); without a session bus or that service, the folder is opened.
macOS: ``open -R``. Windows: ``explorer /select,``.
"""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices


def _show_items_dbus(urls: list[str]) -> bool:
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage
    except ImportError:  # a build without QtDBus
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    iface = QDBusInterface(
        "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1", bus
    )
    if not iface.isValid():
        return False
    reply = iface.call("ShowItems", urls, "")
    return reply.type() != QDBusMessage.MessageType.ErrorMessage


def reveal_paths(items: list[bytes]) -> None:
    """Show ``items`` in the file manager (at most 20; one window per folder where selection is impossible)."""
    items = [os.path.abspath(p) for p in items[:20]]
    if not items:
        return
    if sys.platform == "darwin":
        subprocess.Popen(["open", "-R", *[os.fsdecode(p) for p in items]])  # noqa: S603,S607
        return
    if os.name == "nt":
        subprocess.Popen(["explorer", "/select,", os.fsdecode(items[0])])  # noqa: S603,S607
        return
    if _show_items_dbus([QUrl.fromLocalFile(os.fsdecode(p)).toString() for p in items]):
        return
    for folder in dict.fromkeys(os.path.dirname(p) for p in items):
        QDesktopServices.openUrl(QUrl.fromLocalFile(os.fsdecode(folder)))
