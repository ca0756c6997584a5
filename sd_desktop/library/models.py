"""peewee models of the library schema, column for column what ``migrations`` creates at ``LATEST``.

``migrations`` owns the schema (it creates and upgrades real libraries); these models describe that
same schema to peewee, for the ordinary reads and writes that go through the ORM (adding, changing
and removing locations). ``tests/library/test_models_schema.py`` compares them with a migrated
library, so a migration that changes a table must change its model too.

Defaults are declared twice on purpose, through ``_defaulted``: as peewee's ``default`` for rows
the models insert, and as the column's SQL ``DEFAULT`` so that ``create_tables`` builds the table
the migrations build. Foreign keys carry ``index=False`` because the migrations index only the
columns that lookups need (a column that leads a UNIQUE constraint is indexed by it already).

Hot paths (the indexer's bulk upserts, the hash cache, work lists) and the reads of commands that
must start fast use named functions of ``library/`` on the raw ``sqlite3`` connection instead.
"""

from __future__ import annotations

from typing import Any

import peewee as pw

from sd_desktop.enums import WorkStatus

database_proxy = pw.DatabaseProxy()


def _defaulted(value: int | str) -> dict[str, Any]:
    """Field arguments for a column with a default: peewee's ``default`` and the SQL ``DEFAULT``."""
    if isinstance(value, str):
        literal = "'" + value.replace("'", "''") + "'"
    else:
        literal = str(int(value))
    return {"default": value, "constraints": [pw.SQL(f"DEFAULT {literal}")]}


class BaseModel(pw.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Volume(BaseModel):
    """A remote volume: how to reach it (its secrets live in the keyring or a 0600 file, never here)."""

    name = pw.TextField(unique=True)
    scheme = pw.TextField()
    root = pw.TextField()
    options = pw.TextField(**_defaulted("{}"))  # JSON of the settings that are not secret
    secret = pw.TextField(null=True)  # where its secrets are kept: 'keyring', 'file' or None
    created_at = pw.FloatField()


class Location(BaseModel):
    """A folder the library tracks."""

    path = pw.BlobField(unique=True)  # absolute path, raw bytes
    name = pw.TextField()
    device = pw.IntegerField(null=True)
    index_mode = pw.TextField(**_defaulted("content"))
    rules = pw.TextField(**_defaulted("{}"))  # JSON of the rule toggles
    created_at = pw.FloatField()
    last_indexed = pw.FloatField(null=True)
    volume = pw.ForeignKeyField(Volume, null=True, index=False, column_name="volume_id")  # None: this machine
    reindex_every = pw.FloatField(null=True)  # seconds between scheduled re-indexes (remote locations)


class ContentIdentity(BaseModel):
    """One content (by content id) that one or more entries hold."""

    cas_id = pw.TextField(unique=True)
    size = pw.IntegerField()
    kind = pw.TextField(null=True)
    mime = pw.TextField(null=True)
    created_at = pw.FloatField()


class Entry(BaseModel):
    """A file, folder, symlink or other node below a location."""

    location = pw.ForeignKeyField(Location, backref="entries", on_delete="CASCADE", index=False)
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE", index=False)
    path = pw.BlobField()  # relative to the location root, raw bytes; b"" is the root
    name = pw.TextField()  # display name (undecodable bytes escaped)
    kind = pw.IntegerField()  # an EntryKind
    size = pw.IntegerField(**_defaulted(0))
    aggregate_size = pw.IntegerField(**_defaulted(0))  # folders: sum of regular files' sizes below
    file_count = pw.IntegerField(**_defaulted(0))  # folders: regular files below
    child_count = pw.IntegerField(**_defaulted(0))  # folders: direct children
    inode = pw.IntegerField(null=True)
    device = pw.IntegerField(null=True)
    mtime_ns = pw.IntegerField(null=True)
    ctime_ns = pw.IntegerField(null=True)
    mode = pw.IntegerField(null=True)
    hidden = pw.BooleanField(**_defaulted(False))
    cas_id = pw.TextField(null=True)
    content = pw.ForeignKeyField(ContentIdentity, null=True, backref="entries", on_delete="SET NULL", index=False)
    integrity_hash = pw.TextField(null=True)
    mime = pw.TextField(null=True)
    link_target = pw.BlobField(null=True)

    class Meta:
        indexes = ((("location", "path"), True),)


Entry.add_index(Entry.parent, name="entry_parent")
Entry.add_index(Entry.content, name="entry_content")
Entry.add_index(Entry.cas_id, name="entry_cas")
Entry.add_index(Entry.size, name="entry_size")
Entry.add_index(Entry.device, Entry.inode, name="entry_inode")


class Sidecar(BaseModel):
    """A derived file (a thumbnail) of one content, stored under ``<library>/sidecars``."""

    content = pw.ForeignKeyField(ContentIdentity, backref="sidecars", on_delete="CASCADE", index=False)
    variant = pw.TextField()
    format = pw.TextField()
    path = pw.TextField()  # relative to <library>/sidecars
    width = pw.IntegerField(null=True)
    height = pw.IntegerField(null=True)
    size = pw.IntegerField(null=True)
    created_at = pw.FloatField()

    class Meta:
        indexes = ((("content", "variant"), True),)


class JobRow(BaseModel):
    """A job of the persistent queue; ``status`` holds a JobStatus value."""

    name = pw.TextField()
    version = pw.IntegerField()
    status = pw.TextField()
    priority = pw.IntegerField(**_defaulted(0))
    target = pw.TextField(**_defaulted(""))  # what the job works on, for people
    config = pw.BlobField()  # msgpack (state codec)
    config_key = pw.TextField()  # identity of (name, config) for de-duplication
    state = pw.BlobField(null=True)  # msgpack of the last checkpoint
    progress = pw.TextField(null=True)  # JSON snapshot of the last progress event
    output = pw.BlobField(null=True)  # msgpack
    error = pw.TextField(null=True)
    errors = pw.BlobField(null=True)  # msgpack list of non-critical errors (capped)
    error_count = pw.IntegerField(**_defaulted(0))
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL", index=False)
    interrupted = pw.IntegerField(**_defaulted(0))  # times it was found running after a crash
    created_at = pw.FloatField()
    started_at = pw.FloatField(null=True)
    finished_at = pw.FloatField(null=True)
    updated_at = pw.FloatField()

    class Meta:
        table_name = "job"


JobRow.add_index(JobRow.status, name="job_status")
JobRow.add_index(JobRow.config_key, name="job_key")


class WorkItem(BaseModel):
    """One item of a job's work list (see ``worklist``); ``kind`` is private to the job."""

    job = pw.ForeignKeyField(JobRow, backref="work_items", on_delete="CASCADE", index=False)
    seq = pw.IntegerField()
    kind = pw.IntegerField(**_defaulted(0))
    src = pw.BlobField(null=True)
    dst = pw.BlobField(null=True)
    size = pw.IntegerField(**_defaulted(0))
    data = pw.BlobField(null=True)  # msgpack, item-specific
    status = pw.IntegerField(**_defaulted(WorkStatus.PENDING))  # a WorkStatus
    outcome = pw.TextField(null=True)
    reason = pw.TextField(null=True)

    class Meta:
        indexes = ((("job", "seq"), True),)


WorkItem.add_index(WorkItem.job, WorkItem.status, WorkItem.seq, name="work_item_pending")


class HashCache(BaseModel):
    """Full-content hashes keyed by file identity, with the stat fields that invalidate them."""

    device = pw.IntegerField()
    inode = pw.IntegerField()
    size = pw.IntegerField()
    mtime_ns = pw.IntegerField()
    ctime_ns = pw.IntegerField()
    hash = pw.TextField()

    class Meta:
        primary_key = pw.CompositeKey("device", "inode")
        without_rowid = True


class ThumbnailFailure(BaseModel):
    """A thumbnail that could not be made, retried when the decoder version changes."""

    cas_id = pw.TextField(primary_key=True)
    decoder_version = pw.TextField()
    reason = pw.TextField()
    created_at = pw.FloatField()

    class Meta:
        without_rowid = True


class DuplicateSnapshot(BaseModel):
    """The last result of a duplicate search and the listing it came from."""

    # ``key BLOB PRIMARY KEY`` in an ordinary (rowid) table: SQLite does not make such a key NOT
    # NULL, and ``null=True`` keeps peewee from adding a NOT NULL the migration does not have.
    key = pw.BlobField(primary_key=True, null=True)  # digest of the search's settings
    folders = pw.BlobField()  # msgpack {folder path: digest of its listing}
    result = pw.BlobField()  # msgpack of the result (groups, hard links, counts)
    job_id = pw.IntegerField(null=True)  # the job that made it (not a foreign key)
    created_at = pw.FloatField()


class PictureHash(BaseModel):
    """The perceptual hash of one picture content (signed 64-bit) and its upright size."""

    content = pw.ForeignKeyField(ContentIdentity, primary_key=True, on_delete="CASCADE", backref="picture_hash")
    phash = pw.IntegerField()  # 64-bit DCT hash, stored as a signed 64-bit integer
    width = pw.IntegerField()  # the picture upright (EXIF orientation applied)
    height = pw.IntegerField()


ALL_MODELS: list[type[BaseModel]] = [
    Volume,
    Location,
    ContentIdentity,
    Entry,
    Sidecar,
    JobRow,
    WorkItem,
    HashCache,
    ThumbnailFailure,
    DuplicateSnapshot,
    PictureHash,
]
