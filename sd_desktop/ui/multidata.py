"""multiData() from data(): a delegate asks for a cell's ~7 roles in one call, so a Python model that
answers them here costs one call from Qt per painted cell instead of one per role."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QModelRoleDataSpan, QPersistentModelIndex


def fill_span(model: QAbstractItemModel, index: QModelIndex | QPersistentModelIndex, span: QModelRoleDataSpan) -> None:
    """Answer every role of ``span`` with ``model.data``; the delegate reuses its span from cell to
    cell, so a role without a value is cleared, never left as it was."""
    data = model.data
    for i in range(len(span)):  # (iterating the span ends on a raised IndexError: slower)
        item = span[i]
        value = data(index, item.role())
        if value is None:
            item.clearData()
        else:
            item.setData(value)
