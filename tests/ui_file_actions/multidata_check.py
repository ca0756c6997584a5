"""Checks that a model's multiData() answers like data(), through one reused span (as delegates do)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QModelRoleData, QModelRoleDataSpan, Qt

ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.BackgroundRole,
]


def assert_multidata_matches_data(model, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
    """Every cell under ``parent`` (recursively), every role; returns the cells checked."""
    items = {int(role): QModelRoleData(int(role)) for role in ROLES}
    cells = 0
    for row in range(model.rowCount(parent)):
        for col in range(model.columnCount(parent)):
            index = model.index(row, col, parent)
            for role, item in items.items():  # the same item for every cell: stale values would show
                model.multiData(index, QModelRoleDataSpan(item))
                expected = model.data(index, role)
                got = item.data()
                if expected is None:
                    assert got is None, (row, col, role, got)
                elif role == int(Qt.ItemDataRole.DecorationRole):
                    assert got is not None, (row, col, role)
                else:
                    assert got == expected, (row, col, role, got, expected)
            cells += 1
        cells += assert_multidata_matches_data(model, model.index(row, 0, parent))
    return cells
