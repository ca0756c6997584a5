"""peewee models over the library schema (the schema itself is owned by ``migrations``).

Bulk writers (the indexer) use the raw sqlite3 connection; these models serve everything else.
"""

from __future__ import annotations

import peewee as pw

from sd_desktop.enums import WorkStatus

database_proxy = pw.DatabaseProxy()


class BaseModel(pw.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Location(BaseModel):
    path = pw.BlobField(unique=True)
    name = pw.TextField()
    device = pw.IntegerField(null=True)
    index_mode = pw.TextField(default="content")
    rules = pw.TextField(default="{}")
    created_at = pw.FloatField()
    last_indexed = pw.FloatField(null=True)


class ContentIdentity(BaseModel):
    cas_id = pw.TextField(unique=True)
    size = pw.IntegerField()
    kind = pw.TextField(null=True)
    mime = pw.TextField(null=True)
    created_at = pw.FloatField()


class Entry(BaseModel):
    location = pw.ForeignKeyField(Location, backref="entries", on_delete="CASCADE")
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
    path = pw.BlobField()
    name = pw.TextField()
    kind = pw.IntegerField()
    size = pw.IntegerField(default=0)
    aggregate_size = pw.IntegerField(default=0)
    file_count = pw.IntegerField(default=0)
    child_count = pw.IntegerField(default=0)
    inode = pw.IntegerField(null=True)
    device = pw.IntegerField(null=True)
    mtime_ns = pw.IntegerField(null=True)
    ctime_ns = pw.IntegerField(null=True)
    mode = pw.IntegerField(null=True)
    hidden = pw.BooleanField(default=False)
    cas_id = pw.TextField(null=True)
    content = pw.ForeignKeyField(ContentIdentity, null=True, backref="entries", on_delete="SET NULL")
    integrity_hash = pw.TextField(null=True)
    mime = pw.TextField(null=True)
    link_target = pw.BlobField(null=True)


class Sidecar(BaseModel):
    content = pw.ForeignKeyField(ContentIdentity, backref="sidecars", on_delete="CASCADE")
    variant = pw.TextField()
    format = pw.TextField()
    path = pw.TextField()
    width = pw.IntegerField(null=True)
    height = pw.IntegerField(null=True)
    size = pw.IntegerField(null=True)
    created_at = pw.FloatField()


class JobRow(BaseModel):
    name = pw.TextField()
    version = pw.IntegerField()
    status = pw.TextField()
    priority = pw.IntegerField(default=0)
    target = pw.TextField(default="")
    config = pw.BlobField()
    config_key = pw.TextField()
    state = pw.BlobField(null=True)
    progress = pw.TextField(null=True)
    output = pw.BlobField(null=True)
    error = pw.TextField(null=True)
    errors = pw.BlobField(null=True)
    error_count = pw.IntegerField(default=0)
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    interrupted = pw.IntegerField(default=0)
    created_at = pw.FloatField()
    started_at = pw.FloatField(null=True)
    finished_at = pw.FloatField(null=True)
    updated_at = pw.FloatField()

    class Meta:
        table_name = "job"


class WorkItem(BaseModel):
    job = pw.ForeignKeyField(JobRow, backref="work_items", on_delete="CASCADE")
    seq = pw.IntegerField()
    kind = pw.IntegerField(default=0)
    src = pw.BlobField(null=True)
    dst = pw.BlobField(null=True)
    size = pw.IntegerField(default=0)
    data = pw.BlobField(null=True)
    status = pw.IntegerField(default=WorkStatus.PENDING)
    outcome = pw.TextField(null=True)
    reason = pw.TextField(null=True)


class HashCache(BaseModel):
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
    cas_id = pw.TextField(primary_key=True)
    decoder_version = pw.TextField()
    reason = pw.TextField()
    created_at = pw.FloatField()

    class Meta:
        without_rowid = True


ALL_MODELS = [Location, ContentIdentity, Entry, Sidecar, JobRow, WorkItem, HashCache, ThumbnailFailure]
