"""Schema migrations keyed on ``PRAGMA user_version``.

Each migration runs in one transaction together with the version bump, and a backup copy of
the database (SQLite's online backup API) is taken before an existing library is migrated.
A library whose schema is newer than this build knows is refused, never "downgraded".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

TYPE_CHECKING = False  # not ``typing``'s: ``light_reads`` imports this module for ``LATEST``
if TYPE_CHECKING:
    from pathlib import Path

SCHEMA_V1 = """
CREATE TABLE location (
    id            INTEGER PRIMARY KEY,
    path          BLOB NOT NULL UNIQUE,          -- absolute path, raw bytes
    name          TEXT NOT NULL,
    device        INTEGER,
    index_mode    TEXT NOT NULL DEFAULT 'content',
    rules         TEXT NOT NULL DEFAULT '{}',    -- JSON of the rule toggles
    created_at    REAL NOT NULL,
    last_indexed  REAL
);

CREATE TABLE content_identity (
    id            INTEGER PRIMARY KEY,
    cas_id        TEXT NOT NULL UNIQUE,
    size          INTEGER NOT NULL,
    kind          TEXT,
    mime          TEXT,
    created_at    REAL NOT NULL
);

CREATE TABLE entry (
    id              INTEGER PRIMARY KEY,
    location_id     INTEGER NOT NULL REFERENCES location(id) ON DELETE CASCADE,
    parent_id       INTEGER REFERENCES entry(id) ON DELETE CASCADE,
    path            BLOB NOT NULL,               -- relative to the location root, raw bytes; b'' = root
    name            TEXT NOT NULL,               -- display name (undecodable bytes escaped)
    kind            INTEGER NOT NULL,            -- 0 file, 1 dir, 2 symlink, 3 other (fifo, socket, device)
    size            INTEGER NOT NULL DEFAULT 0,
    aggregate_size  INTEGER NOT NULL DEFAULT 0,  -- dirs: sum of regular files' sizes below
    file_count      INTEGER NOT NULL DEFAULT 0,  -- dirs: regular files below
    child_count     INTEGER NOT NULL DEFAULT 0,  -- dirs: direct children
    inode           INTEGER,
    device          INTEGER,
    mtime_ns        INTEGER,
    ctime_ns        INTEGER,
    mode            INTEGER,
    hidden          INTEGER NOT NULL DEFAULT 0,
    cas_id          TEXT,
    content_id      INTEGER REFERENCES content_identity(id) ON DELETE SET NULL,
    integrity_hash  TEXT,
    mime            TEXT,
    link_target     BLOB,
    UNIQUE (location_id, path)
);
CREATE INDEX entry_parent ON entry(parent_id);
CREATE INDEX entry_content ON entry(content_id);
CREATE INDEX entry_cas ON entry(cas_id);
CREATE INDEX entry_size ON entry(size);
CREATE INDEX entry_inode ON entry(device, inode);

CREATE TABLE sidecar (
    id          INTEGER PRIMARY KEY,
    content_id  INTEGER NOT NULL REFERENCES content_identity(id) ON DELETE CASCADE,
    variant     TEXT NOT NULL,
    format      TEXT NOT NULL,
    path        TEXT NOT NULL,                   -- relative to <library>/sidecars
    width       INTEGER,
    height      INTEGER,
    size        INTEGER,
    created_at  REAL NOT NULL,
    UNIQUE (content_id, variant)
);

CREATE TABLE job (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    status         TEXT NOT NULL,
    priority       INTEGER NOT NULL DEFAULT 0,
    target         TEXT NOT NULL DEFAULT '',     -- what the job works on, for people
    config         BLOB NOT NULL,                -- msgpack (state codec)
    config_key     TEXT NOT NULL,                -- identity of (name, config) for de-duplication
    state          BLOB,                         -- msgpack of the last checkpoint
    progress       TEXT,                         -- JSON snapshot of the last progress event
    output         BLOB,                         -- msgpack
    error          TEXT,
    errors         BLOB,                         -- msgpack list of non-critical errors (capped)
    error_count    INTEGER NOT NULL DEFAULT 0,
    parent_id      INTEGER REFERENCES job(id) ON DELETE SET NULL,
    interrupted    INTEGER NOT NULL DEFAULT 0,   -- times it was found running after a crash
    created_at     REAL NOT NULL,
    started_at     REAL,
    finished_at    REAL,
    updated_at     REAL NOT NULL
);
CREATE INDEX job_status ON job(status);
CREATE INDEX job_key ON job(config_key);
"""

SCHEMA_V2 = """
-- per-job work lists that must not live in the state blob (copy/delete items, thumbnail queues)
CREATE TABLE work_item (
    id        INTEGER PRIMARY KEY,
    job_id    INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    kind      INTEGER NOT NULL DEFAULT 0,
    src       BLOB,
    dst       BLOB,
    size      INTEGER NOT NULL DEFAULT 0,
    data      BLOB,                              -- msgpack, item-specific
    status    INTEGER NOT NULL DEFAULT 0,        -- 0 pending, 1 done, 2 failed, 3 skipped
    outcome   TEXT,
    reason    TEXT,
    UNIQUE (job_id, seq)
);
CREATE INDEX work_item_pending ON work_item(job_id, status, seq);

-- full-content hashes keyed by file identity and the stat fields that invalidate them
CREATE TABLE hash_cache (
    device    INTEGER NOT NULL,
    inode     INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    ctime_ns  INTEGER NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (device, inode)
) WITHOUT ROWID;

-- thumbnails that could not be made, retried when the decoder version changes
CREATE TABLE thumbnail_failure (
    cas_id           TEXT NOT NULL PRIMARY KEY,
    decoder_version  TEXT NOT NULL,
    reason           TEXT NOT NULL,
    created_at       REAL NOT NULL
) WITHOUT ROWID;
"""

SCHEMA_V3 = """
-- the last result of a duplicate search and the listing it came from (see duplicate_detection.snapshot)
CREATE TABLE duplicate_snapshot (
    key         BLOB PRIMARY KEY,                -- digest of the search's settings
    folders     BLOB NOT NULL,                   -- msgpack {folder path: digest of its listing}
    result      BLOB NOT NULL,                   -- msgpack of the result (groups, hard links, counts)
    job_id      INTEGER,
    created_at  REAL NOT NULL
);
"""

SCHEMA_V4 = """
-- the perceptual hash of a picture's content (see ops/media/similar), made while its thumbnail is decoded
CREATE TABLE picture_hash (
    content_id  INTEGER PRIMARY KEY REFERENCES content_identity(id) ON DELETE CASCADE,
    phash       INTEGER NOT NULL,                -- 64-bit DCT hash, stored as a signed 64-bit integer
    width       INTEGER NOT NULL,                -- the picture upright (EXIF orientation applied)
    height      INTEGER NOT NULL
);
"""

SCHEMA_V5 = """
-- remote volumes (a NAS over SFTP, a bucket, a WebDAV share): how to reach them, never their secrets
CREATE TABLE volume (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,            -- what NAME:/path names
    scheme      TEXT NOT NULL,                   -- sftp, s3, webdav or another OpenDAL service
    root        TEXT NOT NULL,                   -- the folder or prefix on the service
    options     TEXT NOT NULL DEFAULT '{}',      -- JSON of the settings that are not secret
    secret      TEXT,                            -- where its secrets are kept: 'keyring', 'file' or NULL
    created_at  REAL NOT NULL
);
-- a location on a remote volume; its path is NAME:/path on that volume
ALTER TABLE location ADD COLUMN volume_id INTEGER REFERENCES volume(id);
"""

SCHEMA_V6 = """
-- seconds between re-indexes of a location the engine does not watch (on a remote volume); NULL: never
ALTER TABLE location ADD COLUMN reindex_every REAL;
"""


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        # executescript would COMMIT the surrounding transaction; run statement by statement.
        for statement in _split(sql):
            conn.execute(statement)

    return apply


def _split(sql: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


MIGRATIONS: list[tuple[int, Callable[[sqlite3.Connection], None]]] = [
    (1, _script(SCHEMA_V1)),
    (2, _script(SCHEMA_V2)),
    (3, _script(SCHEMA_V3)),
    (4, _script(SCHEMA_V4)),
    (5, _script(SCHEMA_V5)),
    (6, _script(SCHEMA_V6)),
]
LATEST = MIGRATIONS[-1][0]


class SchemaTooNew(RuntimeError):
    def __init__(self, found: int, known: int):
        super().__init__(
            f"this library has schema version {found}, but this sd_desktop only knows versions up to {known}; "
            "upgrade sd_desktop to open it"
        )
        self.found, self.known = found, known


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def backup(conn: sqlite3.Connection, dest: Path) -> Path:
    """Copy the live database to ``dest`` with SQLite's online backup API."""
    target = sqlite3.connect(dest)
    try:
        conn.backup(target)
    finally:
        target.close()
    return dest


# Secondary indexes of ``entry`` the first index of a library sets aside while it inserts
# (``entries.set_aside_indexes``): built once at the end from the stored rows (a sort), they cost a
# fraction of keeping each up to date row by row. Queries work without them, only slower;
# ``entry_inode`` always stays, as look-ups name it (INDEXED BY). Opening a library restores them.
DEFERRABLE_INDEXES = {
    "entry_parent": "CREATE INDEX IF NOT EXISTS entry_parent ON entry(parent_id)",
    "entry_content": "CREATE INDEX IF NOT EXISTS entry_content ON entry(content_id)",
    "entry_cas": "CREATE INDEX IF NOT EXISTS entry_cas ON entry(cas_id)",
    "entry_size": "CREATE INDEX IF NOT EXISTS entry_size ON entry(size)",
}


def restore_indexes(conn: sqlite3.Connection) -> int:
    """Build the secondary indexes that were set aside, if any; returns how many were missing."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entry'")}
    missing = [sql for name, sql in DEFERRABLE_INDEXES.items() if name not in present]
    for sql in missing:
        conn.execute(sql)
    return len(missing)


def migrate(conn: sqlite3.Connection, db_path: Path | None, target: int = LATEST) -> int:
    """Bring the schema to ``target``; returns the version found before migrating.

    ``conn`` must be in autocommit mode (``isolation_level=None``) so each migration controls
    its own transaction.
    """
    found = schema_version(conn)
    if found > LATEST:
        raise SchemaTooNew(found, LATEST)
    if found >= target:
        return found
    if found > 0 and db_path is not None:
        backup(conn, db_path.with_name(f"{db_path.name}.v{found}.bak"))
    for version, apply in MIGRATIONS:
        if found < version <= target:
            conn.execute("BEGIN IMMEDIATE")
            try:
                apply(conn)
                conn.execute(f"PRAGMA user_version = {version}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    return found
