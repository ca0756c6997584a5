"""The edits that turn the rows a view shows into a newer listing of the same folder, so a refresh
moves, inserts and removes rows in place (the selection and the scroll position stay) instead of
resetting the model. Computed on the loader's worker thread; applied by ``ContentModel``.

The same edits turn a folder's first rows as the library knows them (shown while the disk is
listed) into the listing's first rows (``preview_end`` says how many).

Rows are matched by path. When the rows both listings share are not in the same order (a file grew
while the folder is sorted by size), or the edits would be many, the answer is None: reset instead.
"""

from __future__ import annotations

from typing import NamedTuple

from sd_desktop.library.browse import R_PATH, Row

MAX_EDITS = 200  # more separate edits than this: one reset is cheaper for the view


class Edit(NamedTuple):
    op: str  # "remove" (start, count), "insert" (start, rows), "update" (start, rows)
    start: int
    count: int
    rows: list[Row]


def row_edits(old: list[Row], new: list[Row]) -> list[Edit] | None:
    """Edits from ``old`` to ``new`` in the order they apply (each position counts the edits
    before it), or None when a reset is the better way."""
    new_paths = {r[R_PATH] for r in new}
    old_paths = {r[R_PATH] for r in old}
    kept = [r for r in old if r[R_PATH] in new_paths]
    if [r[R_PATH] for r in kept] != [r[R_PATH] for r in new if r[R_PATH] in old_paths]:
        return None
    edits: list[Edit] = []
    # removals from the bottom up, in contiguous runs, so earlier positions stay valid
    run_end = None
    for i in range(len(old) - 1, -1, -1):
        gone = old[i][R_PATH] not in new_paths
        if gone and run_end is None:
            run_end = i
        if run_end is not None and (not gone or i == 0):
            start = i if gone else i + 1
            edits.append(Edit("remove", start, run_end - start + 1, []))
            run_end = None
    # then the new listing in order: after the edits so far, the list starts with ``new[:i]`` and
    # goes on with ``kept[j:]``
    j = 0
    pending: list[Row] = []
    pending_at = 0
    for i, row in enumerate(new):
        if row[R_PATH] in old_paths:
            if pending:
                edits.append(Edit("insert", pending_at, len(pending), pending))
                pending = []
            if kept[j] != row:
                last = edits[-1] if edits else None
                if last is not None and last.op == "update" and last.start + last.count == i:
                    # one edit per run of changed rows: the library's update of a folder changes
                    # thousands of rows in a row (content ids), which must not cost the selection
                    last.rows.append(row)
                    edits[-1] = last._replace(count=last.count + 1)
                else:
                    edits.append(Edit("update", i, 1, [row]))
            j += 1
            if len(edits) > MAX_EDITS:
                return None
        else:
            if not pending:
                pending_at = i
            pending.append(row)
    if pending:
        edits.append(Edit("insert", pending_at, len(pending), pending))
    return edits if len(edits) <= MAX_EDITS else None


def preview_end(preview: list[Row], rows: list[Row], limit: int) -> int:
    """How many of ``rows`` (a whole listing, sorted) the edits from ``preview`` (its first rows as
    shown before the listing finished, in the same order) must reach: up to the last row of the
    preview that is still listed, so the rows kept never move. At most ``limit``: a previewed row
    that sorts further down now (its size changed) is removed, and comes back with the rest."""
    where = {r[R_PATH]: i for i, r in enumerate(rows[:limit])}
    return max((where.get(r[R_PATH], -1) for r in preview), default=-1) + 1
