"""One registry of the window's actions: menus, toolbars and (later) context menus share them,
so a shortcut is defined once and standard keys come from QKeySequence.StandardKey."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget


class ActionRegistry:
    def __init__(self, owner: QWidget):
        self._owner = owner
        self._actions: dict[str, QAction] = {}

    def add(
        self,
        key: str,
        text: str,
        slot: Callable[..., object] | None = None,
        *,
        shortcut: QKeySequence.StandardKey | str | None = None,
        icon: QIcon | None = None,
        checkable: bool = False,
        tip: str | None = None,
    ) -> QAction:
        if key in self._actions:
            raise KeyError(f"action {key!r} is registered twice")
        action = QAction(text, self._owner)
        action.setObjectName(f"action_{key}")
        if icon is not None:
            action.setIcon(icon)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        if slot is not None:
            action.triggered.connect(slot)
        self._owner.addAction(action)
        self._actions[key] = action
        return action

    def __getitem__(self, key: str) -> QAction:
        return self._actions[key]

    def __contains__(self, key: str) -> bool:
        return key in self._actions

    def keys(self) -> list[str]:
        return list(self._actions)
