"""Writing walk batches into the ``entry`` table, incrementally, inside the job's checkpoints.

Everything here runs on the library's writer thread inside ``ctx.checkpoint`` (one transaction with
the job state that covers it). Ids are assigned here (the writer is the only one), so a batch is
one raw ``executemany`` and children can point at folders inserted in the same batch.

Matching on re-index:
* same path, same kind: unchanged rows are not written at all; changed stat fields are updated,
  and a size/mtime/inode change clears cas_id, content_id, integrity_hash and mime (re-hashed later);
* same path, other kind: the old row (and its subtree) is replaced;
* a new path whose (device, inode, kind, mtime_ns and, for files, size) belongs to an entry whose
  old path no longer exists on disk: a move/rename; the row keeps its id and hashes, a folder's
  subtree paths are rewritten. (A recycled inode with other content fails the mtime/size test and
  is a new entry; a file moved *and* edited is a deletion plus a new file.)
* existing children of a listed folder that were not seen: recorded as pending deletions in
  ``work_item`` (kind 1) and removed once the walk is over, unless a later move claimed them.

Every folder whose direct children changed (one inserted, removed, moved in or out, or a file's
size changed) is recorded in ``work_item`` (kind 2, ``seq`` = minus its id, so it never collides with
a pending deletion's ``seq`` = entry id) in the same transaction as the change, so the aggregation
recomputes only those folders and their ancestors, even after a crash.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass

from sd_desktop.ops.indexing.walk import (
    KIND_DIR,
    KIND_FILE,
    KIND_SYMLINK,
    R_DEVICE,
    R_HIDDEN,
    R_INODE,
    R_KIND,
    R_LINK,
    R_MTIME,
    R_PATH,
    R_SIZE,
    WalkBatch,
    join,
)

WORK_PENDING_DELETE = 1
WORK_DIRTY_DIR = 2

INSERT_SQL = (
    "INSERT INTO entry (id, location_id, parent_id, path, name, kind, size, inode, device, mtime_ns, ctime_ns, "
    "mode, hidden, link_target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# a first content-mode index inserts files with their identity (see ``identify.identify_listed``)
INSERT_IDENTIFIED_SQL = (
    "INSERT INTO entry (id, location_id, parent_id, path, name, kind, size, inode, device, mtime_ns, ctime_ns, "
    "mode, hidden, link_target, cas_id, mime, content_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?15, ?, "
    "(SELECT id FROM content_identity WHERE cas_id = ?15))"
)
# one statement over a JSON array: ORDER BY key lets the batch's first file of a content decide its row
INSERT_IDENTITIES_SQL = (
    "INSERT INTO content_identity (cas_id, size, kind, mime, created_at) "
    "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, ? FROM json_each(?) WHERE 1 ORDER BY key "
    "ON CONFLICT(cas_id) DO NOTHING"
)
# ?1 parent, ?2..?12 the row, ?13 reset hashes, ?14 id
UPDATE_SQL = (
    "UPDATE entry SET parent_id = ?1, path = ?2, name = ?3, kind = ?4, size = ?5, inode = ?6, device = ?7, "
    "mtime_ns = ?8, ctime_ns = ?9, mode = ?10, hidden = ?11, link_target = ?12, "
    "cas_id = CASE WHEN ?13 THEN NULL ELSE cas_id END, content_id = CASE WHEN ?13 THEN NULL ELSE content_id END, "
    "integrity_hash = CASE WHEN ?13 THEN NULL ELSE integrity_hash END, mime = CASE WHEN ?13 THEN NULL ELSE mime END "
    "WHERE id = ?14"
)
# (path, id) then the walk row's fields from ``kind`` on, in its order: an unchanged entry is one
# tuple-slice comparison (``ex[2:11] == row[2:]``), no per-field Python work; then the parent's id
EXISTING_SQL = (
    "SELECT path, id, kind, size, inode, device, mtime_ns, ctime_ns, mode, hidden, link_target, parent_id "
    "FROM entry WHERE parent_id IN ({marks})"
)
EX_PARENT = 11
CHUNK = 500


def subtree_bounds(rel: bytes) -> tuple[bytes, bytes]:
    """Blob bounds (exclusive) of every path strictly below ``rel`` ('0' sorts right after '/')."""
    return (rel + b"/", rel + b"0") if rel else (b"", b"\xff" * 8)


@dataclass
class BatchResult:
    new: int = 0
    modified: int = 0
    moved: int = 0
    written: int = 0
    missing: int = 0
    orphaned: list[bytes] | None = None  # listed folders whose own entry was not found


class EntryWriter:
    """Applies walk batches for one location. Holds only the ids of folders still to be listed."""

    def __init__(self, location_id: int, root: bytes, job_id: int, fresh: bool):
        self.location_id = location_id
        self.root = root
        self.job_id = job_id
        self.fresh = fresh
        self.dir_ids: dict[bytes, int] = {}
        self.dirty: set[int] = set()  # folders whose children changed, saved by ``save_dirty``

    # -- helpers ---------------------------------------------------------------------------
    def _lookup(self, conn: sqlite3.Connection, rel: bytes) -> int | None:
        row = conn.execute(
            "SELECT id FROM entry WHERE location_id = ? AND path = ? AND kind = 1", (self.location_id, rel)
        ).fetchone()
        return row[0] if row else None

    def _dir_id(self, conn: sqlite3.Connection, rel: bytes) -> int | None:
        pid = self.dir_ids.pop(rel, None)
        return pid if pid is not None else self._lookup(conn, rel)

    @staticmethod
    def _next_id(conn: sqlite3.Connection) -> int:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM entry").fetchone()[0] + 1

    # -- the root and the folders above a sub-path -------------------------------------------
    def prepare(self, conn: sqlite3.Connection, chain: list[tuple]) -> int:
        """Upsert the root entry and the folders down to the indexed path (rows from ``stat_row``).

        Returns the number of rows written; the last folder's id is remembered for the walk.
        """
        parent = None
        written = 0
        for row in chain:
            existing = conn.execute(
                "SELECT id, kind FROM entry WHERE location_id = ? AND path = ?", (self.location_id, row[R_PATH])
            ).fetchone()
            if existing is not None and existing[1] != row[R_KIND]:
                self._delete_subtree(conn, existing[0], row[R_PATH])
                existing = None
            if existing is None:
                entry_id = self._next_id(conn)
                conn.execute(INSERT_SQL, (entry_id, self.location_id, parent, *row))
                written += 1
                if parent is not None:
                    self.dirty.add(parent)
            else:
                entry_id = existing[0]
                conn.execute(UPDATE_SQL, (parent, *row, 0, entry_id))
            parent = entry_id
        if chain:
            self.dir_ids[chain[-1][R_PATH]] = parent
        self.save_dirty(conn)
        return written

    def save_dirty(self, conn: sqlite3.Connection) -> None:
        """Record the folders dirtied so far in this transaction (idempotent across batches)."""
        if self.dirty and not self.fresh:  # a first index recomputes every folder anyway
            job_id = self.job_id
            conn.executemany(
                f"INSERT OR IGNORE INTO work_item (job_id, seq, kind) VALUES (?, ?, {WORK_DIRTY_DIR})",
                [(job_id, -d) for d in self.dirty],
            )
        self.dirty.clear()

    def load_dirty(self, conn: sqlite3.Connection) -> int:
        """Fill ``temp.idx_dirty`` (for ``aggregate.aggregate_changed``) with the recorded folders.

        Those of every indexer job, not only this one: a run killed and never resumed, or one
        cancelled, committed changes whose folders nobody else would recompute. (Two runs never
        work on one location at once; another location's folders are filtered out by the scope.)"""
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS idx_dirty (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM temp.idx_dirty")
        return conn.execute(
            "INSERT OR IGNORE INTO temp.idx_dirty (id) SELECT -w.seq FROM work_item w "
            "WHERE w.kind = ? AND w.job_id IN (SELECT id FROM job WHERE name = 'indexer')",
            (WORK_DIRTY_DIR,),
        ).rowcount

    def forget_dirty(self, conn: sqlite3.Connection) -> None:
        """Drop the recorded folders this location's aggregation covered (and those of entries gone)."""
        conn.execute(
            "DELETE FROM work_item WHERE kind = ? AND job_id IN (SELECT id FROM job WHERE name = 'indexer') "
            "AND NOT EXISTS (SELECT 1 FROM entry e WHERE e.id = -work_item.seq AND e.location_id != ?)",
            (WORK_DIRTY_DIR, self.location_id),
        )

    def _delete_subtree(self, conn: sqlite3.Connection, entry_id: int, rel: bytes) -> None:
        lo, hi = subtree_bounds(rel)
        # descendants first, by path range: a deep subtree never relies on recursive FK cascades
        conn.execute("DELETE FROM entry WHERE location_id = ? AND path > ? AND path < ?", (self.location_id, lo, hi))
        conn.execute("DELETE FROM entry WHERE id = ?", (entry_id,))

    # -- batches ---------------------------------------------------------------------------
    def write(self, conn: sqlite3.Connection, batch: WalkBatch) -> BatchResult:
        if self.fresh:
            return self._write_fresh(conn, batch)
        return self._write_incremental(conn, batch)

    def _write_fresh(self, conn: sqlite3.Connection, batch: WalkBatch) -> BatchResult:
        """First index of a location: nothing to match, everything is inserted.

        (Measured: one ``INSERT ... SELECT`` over a JSON array of the rows took 0.85 s of writer CPU
        for std20k against 0.52 s for ``executemany`` and was not faster beside the walker thread.)"""
        res = BatchResult(orphaned=[])
        loc = self.location_id
        next_id = self._next_id(conn)
        rows = []
        dir_ids = self.dir_ids
        for d in batch.dirs:
            pid = self._dir_id(conn, d.rel)
            if pid is None:
                res.orphaned.append(d.rel)
                continue
            for row in d.rows:
                rows.append((next_id, loc, pid, *row))
                if row[R_KIND] == KIND_DIR:
                    dir_ids[row[R_PATH]] = next_id
                next_id += 1
        identified = batch.identified
        if identified:
            # folders (and files left to the content phase) first: the files' parents must exist
            plain, known, identities = [], [], []
            for r in rows:
                ident = identified.get(r[3])  # r = (id, location, parent, *walk row)
                if ident is None:
                    plain.append(r)
                else:
                    cas_id, mime, kind = ident
                    known.append((*r, cas_id, mime))
                    identities.append([cas_id, r[3 + R_SIZE], kind, mime])
            conn.execute(INSERT_IDENTITIES_SQL, (time.time(), json.dumps(identities)))
            conn.executemany(INSERT_SQL, plain)
            conn.executemany(INSERT_IDENTIFIED_SQL, known)
        else:
            conn.executemany(INSERT_SQL, rows)
        res.new = res.written = len(rows)
        return res

    def _write_incremental(self, conn: sqlite3.Connection, batch: WalkBatch) -> BatchResult:
        res = BatchResult(orphaned=[])
        # a move may point at a folder this batch inserts at its end: check references at commit
        conn.execute("PRAGMA defer_foreign_keys = ON")
        loc = self.location_id
        # existing children of every listed folder whose id is known now, in few queries
        pids: dict[bytes, int | None] = {d.rel: self.dir_ids.pop(d.rel, None) for d in batch.dirs}
        unknown = [rel for rel, pid in pids.items() if pid is None]
        for i in range(0, len(unknown), CHUNK):  # folders this batch itself found: stored ids in bulk
            chunk = unknown[i : i + CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT path, id FROM entry WHERE location_id = ? AND kind = 1 AND path IN ({marks})"
            pids.update(conn.execute(sql, (self.location_id, *chunk)))
        # one dict for the batch (paths are unique in a location): whatever is left in it at the end
        # is a child of a listed folder that was not seen
        existing: dict[bytes, tuple] = {}
        fetched: set[int] = set()
        known = [p for p in pids.values() if p is not None]
        for i in range(0, len(known), CHUNK):
            chunk = known[i : i + CHUNK]
            sql = EXISTING_SQL.format(marks=",".join("?" * len(chunk)))
            existing.update({r[0]: r for r in conn.execute(sql, chunk)})
            fetched.update(chunk)
        next_id = self._next_id(conn)
        inserts: list[tuple] = []
        updates: list[tuple] = []
        pop = existing.pop
        dir_ids = self.dir_ids
        dirty = self.dirty
        fresh_dirs: set[int] = set()  # folders inserted by this batch: no children to match
        for d in batch.dirs:
            pid = pids[d.rel]
            if pid is None:
                pid = self._dir_id(conn, d.rel)  # a folder inserted or moved earlier in this batch
                if pid is None:
                    res.orphaned.append(d.rel)
                    continue
                if pid not in fresh_dirs and pid not in fetched:
                    existing.update({r[0]: r for r in conn.execute(EXISTING_SQL.format(marks="?"), (pid,))})
                    fetched.add(pid)
            for row in d.rows:
                path = row[R_PATH]
                kind = row[R_KIND]
                ex = pop(path, None)
                if ex is not None and ex[2:EX_PARENT] == row[R_KIND:]:  # unchanged: nothing to write
                    if kind == KIND_DIR:
                        dir_ids[path] = ex[1]
                    continue
                if ex is not None and ex[2] != kind:
                    self._delete_subtree(conn, ex[1], path)  # replaced by another kind of entry
                    res.modified += 1
                    ex = None
                elif ex is None:
                    moved_id = self._try_move(conn, pid, row, existing)
                    if moved_id is not None:
                        res.moved += 1
                        res.written += 1
                        if kind == KIND_DIR:
                            self.dir_ids[path] = moved_id
                        continue
                    res.new += 1
                if ex is None:
                    dirty.add(pid)
                    inserts.append((next_id, loc, pid, *row))
                    if kind == KIND_DIR:
                        self.dir_ids[path] = next_id
                        fresh_dirs.add(next_id)
                    next_id += 1
                    continue
                # EXISTING_SQL columns 3..9 and row fields R_SIZE..R_HIDDEN are the same stat fields
                if ex[3:10] != row[R_SIZE : R_HIDDEN + 1] or (
                    kind == KIND_SYMLINK and (ex[10] if ex[10] is None else bytes(ex[10])) != row[R_LINK]
                ):
                    reset = (
                        ex[3] != row[R_SIZE] or ex[4] != row[R_INODE] or ex[5] != row[R_DEVICE] or ex[6] != row[R_MTIME]
                    )
                    updates.append((pid, *row, 1 if reset else 0, ex[1]))
                    if kind == KIND_FILE and ex[3] != row[R_SIZE]:
                        dirty.add(pid)
                    if reset and kind != KIND_DIR:
                        res.modified += 1
                if kind == KIND_DIR:
                    dir_ids[path] = ex[1]
        job_id = self.job_id
        missing = [(job_id, ex[1], path) for path, ex in existing.items()]
        dirty.update(ex[EX_PARENT] for ex in existing.values())
        if inserts:
            conn.executemany(INSERT_SQL, inserts)
        if updates:
            conn.executemany(UPDATE_SQL, updates)
        if missing:
            conn.executemany(
                f"INSERT OR IGNORE INTO work_item (job_id, seq, kind, src) VALUES (?, ?, {WORK_PENDING_DELETE}, ?)",
                missing,
            )
        res.written += len(inserts) + len(updates)
        res.missing = len(missing)
        self.save_dirty(conn)
        return res

    def _try_move(self, conn: sqlite3.Connection, pid: int, row: tuple, existing: dict[bytes, tuple]) -> int | None:
        """If ``row`` is an entry we know under an old path that is gone from disk, move it here."""
        cands = conn.execute(
            "SELECT id, path, parent_id FROM entry WHERE device = ? AND inode = ? AND kind = ? "
            "AND +location_id = ? AND mtime_ns = ? AND (kind = 1 OR size = ?)",
            (row[R_DEVICE], row[R_INODE], row[R_KIND], self.location_id, row[R_MTIME], row[R_SIZE]),
        ).fetchall()
        for entry_id, old, old_parent in cands:
            old = bytes(old)
            if old == row[R_PATH] or old == b"":
                continue
            try:
                os.lstat(join(self.root, old))
                continue  # the old name still exists: a hard link or a replacement, not a move
            except FileNotFoundError:
                pass
            except OSError:
                continue
            conn.execute(UPDATE_SQL, (pid, *row, 0, entry_id))
            self.dirty.update((pid, old_parent))
            existing.pop(old, None)  # a sibling listed in this batch: moved, not missing
            if row[R_KIND] == KIND_DIR:
                lo, hi = subtree_bounds(old)
                below = conn.execute(
                    "SELECT id, path FROM entry WHERE location_id = ? AND path > ? AND path < ?",
                    (self.location_id, lo, hi),
                ).fetchall()
                new = row[R_PATH]
                cut = len(old)
                conn.executemany(
                    "UPDATE entry SET path = ? WHERE id = ?", [(new + bytes(p)[cut:], i) for i, p in below]
                )
            return entry_id
        return None

    def mark_vanished(self, conn: sqlite3.Connection, rels: list[bytes]) -> None:
        """Folders that disappeared before they were listed: their entries go at the end of the walk."""
        for rel in rels:
            self.dir_ids.pop(rel, None)
            row = conn.execute(
                "SELECT id, parent_id FROM entry WHERE location_id = ? AND path = ?", (self.location_id, rel)
            ).fetchone()
            if row is not None and rel != b"":
                conn.execute(
                    f"INSERT OR IGNORE INTO work_item (job_id, seq, kind, src) VALUES (?, ?, {WORK_PENDING_DELETE}, ?)",
                    (self.job_id, row[0], rel),
                )
                if row[1] is not None:
                    self.dirty.add(row[1])
        self.save_dirty(conn)

    def finish_deletions(self, conn: sqlite3.Connection) -> int:
        """Remove the entries still pending deletion (with their subtrees); returns rows removed."""
        loc = self.location_id
        pending = conn.execute(
            "SELECT e.id, e.path, e.kind FROM work_item w JOIN entry e ON e.id = w.seq AND e.path = w.src "
            "WHERE w.job_id = ? AND w.kind = ? AND e.location_id = ?",
            (self.job_id, WORK_PENDING_DELETE, loc),
        ).fetchall()
        if not pending:
            conn.execute("DELETE FROM work_item WHERE job_id = ? AND kind = ?", (self.job_id, WORK_PENDING_DELETE))
            return 0
        count = "SELECT COUNT(*) FROM entry WHERE location_id = ?"
        before = conn.execute(count, (loc,)).fetchone()[0]
        for _entry_id, path, kind in pending:
            if kind == KIND_DIR:
                lo, hi = subtree_bounds(bytes(path))
                conn.execute("DELETE FROM entry WHERE location_id = ? AND path > ? AND path < ?", (loc, lo, hi))
        conn.executemany("DELETE FROM entry WHERE id = ?", [(p[0],) for p in pending])
        removed = before - conn.execute(count, (loc,)).fetchone()[0]
        conn.execute("DELETE FROM work_item WHERE job_id = ? AND kind = ?", (self.job_id, WORK_PENDING_DELETE))
        return removed
