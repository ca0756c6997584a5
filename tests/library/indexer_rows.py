"""Shared set-up of the tests of the indexer's library modules: a location, jobs, and walk rows."""

from __future__ import annotations

from pathlib import Path

from sd_desktop.enums import EntryKind
from sd_desktop.library import Library, entries
from sd_desktop.library.locations import add_location


def walk_row(path: bytes, kind: EntryKind = EntryKind.FILE, size: int = 0, inode: int = 0, mtime: int = 1) -> tuple:
    """A row as the indexer's walk lists it (``entries.WALK_COLUMNS``)."""
    link = b"target" if kind == EntryKind.SYMLINK else None
    name = path.rsplit(b"/", 1)[-1].decode()
    return (path, name, int(kind), size, inode, 7, mtime, 2, 0o100644, 0, link)


def location(lib: Library, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    return add_location(lib, folder)


def job(lib: Library, name: str = "indexer") -> int:
    return lib.write_sync(
        lambda c: (
            c.execute(
                "INSERT INTO job (name, version, status, config, config_key, created_at, updated_at) "
                "VALUES (?, 1, 'running', x'80', ?, 0, 0)",
                (name, name),
            ).lastrowid
        )
    )


def insert_tree(lib: Library, loc: int, spec: list[tuple[bytes, EntryKind, int]]) -> dict[bytes, int]:
    """Insert the root and ``spec`` ((path, kind, size), parents before children); returns path -> id."""

    def tx(conn) -> dict[bytes, int]:
        ids: dict[bytes, int] = {}
        next_id = entries.next_id(conn)
        rows = [(next_id, loc, None, *walk_row(b"", EntryKind.DIR))]
        ids[b""] = next_id
        for n, (path, kind, size) in enumerate(spec, 1):
            parent = path.rsplit(b"/", 1)[0] if b"/" in path else b""
            rows.append((next_id + n, loc, ids[parent], *walk_row(path, kind, size, inode=100 + n)))
            ids[path] = next_id + n
        entries.insert(conn, rows)
        return ids

    return lib.write_sync(tx)


def paths_of(lib: Library, loc: int) -> list[bytes]:
    return lib.read_sync(
        lambda c: [bytes(r[0]) for r in c.execute("SELECT path FROM entry WHERE location_id = ? ORDER BY path", (loc,))]
    )
