"""The peewee models and the migrations describe one schema: table by table, column by column.

Both sides are reduced to the same plain shape: the migrated side from SQLite's own ``PRAGMA``s on a
real library, the model side from what the models declare. A migration that changes a table without
its model (or the reverse) fails here, naming the table and showing the difference.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import peewee as pw
import pytest

from sd_desktop.library import Library
from sd_desktop.library.migrations import migrate
from sd_desktop.library.models import ALL_MODELS, BaseModel

Column = tuple[str, str, int, str | None, int]  # name, type, NOT NULL, SQL default, position in the primary key
ForeignKey = tuple[str, str, str, str, str]  # column, table, its column, ON UPDATE, ON DELETE
Index = tuple[str | None, int, tuple[str, ...], int]  # name (None for uniqueness), unique, columns, partial


@dataclass(frozen=True)
class Shape:
    columns: tuple[Column, ...]
    foreign_keys: frozenset[ForeignKey]
    indexes: frozenset[Index]
    without_rowid: bool


def _rowid_alias_not_null(columns: list[Column], without_rowid: bool) -> list[Column]:
    """An ``INTEGER PRIMARY KEY`` column is the rowid and never holds NULL, whether or not its DDL
    says NOT NULL (the migrations do not, peewee does); count it as NOT NULL on both sides."""
    keys = [c for c in columns if c[4]]
    if without_rowid or len(keys) != 1 or keys[0][1] != "INTEGER":
        return columns
    return [(n, t, 1, d, pk) if pk else (n, t, nn, d, pk) for n, t, nn, d, pk in columns]


def _index(name: str, unique: int, columns: tuple[str, ...], partial: int) -> Index:
    # A uniqueness constraint is its columns: SQLite names an inline UNIQUE ``sqlite_autoindex_…``,
    # peewee creates a named UNIQUE INDEX, and both enforce and serve lookups alike. Plain indexes
    # keep their names, which later migrations use to drop or replace them.
    return (None if unique else name, unique, columns, partial)


def shape_of_database(conn: sqlite3.Connection) -> dict[str, Shape]:
    shapes = {}
    tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    for table, sql in tables.fetchall():
        without_rowid = " ".join(sql.split()).upper().endswith("WITHOUT ROWID")
        columns = [
            (name, type_.upper(), notnull, default, pk)
            for _, name, type_, notnull, default, pk in conn.execute(f"PRAGMA table_info('{table}')")
        ]
        foreign_keys = frozenset(
            (from_, to_table, to, on_update, on_delete)
            for _, _, to_table, from_, to, on_update, on_delete, _ in conn.execute(
                f"PRAGMA foreign_key_list('{table}')"
            )
        )
        indexes = set()
        for _, name, unique, origin, partial in conn.execute(f"PRAGMA index_list('{table}')").fetchall():
            if origin == "pk":  # the primary key, already in the columns' pk positions
                continue
            cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{name}')"))
            indexes.add(_index(name, unique, cols, partial))
        shapes[table] = Shape(
            tuple(_rowid_alias_not_null(columns, without_rowid)), foreign_keys, frozenset(indexes), without_rowid
        )
    return shapes


def _sql_default(field: pw.Field) -> str | None:
    defaults = [c.sql[len("DEFAULT ") :] for c in field.constraints or () if c.sql.startswith("DEFAULT ")]
    assert len(defaults) <= 1, f"{field} declares {len(defaults)} SQL defaults"
    return defaults[0] if defaults else None


def shape_of_model(model: type[BaseModel]) -> Shape:
    meta = model._meta
    ctx = pw.SqliteDatabase(":memory:").get_sql_context()  # for SQLite's names of peewee's field types
    if isinstance(meta.primary_key, pw.CompositeKey):
        key = list(meta.primary_key.field_names)
    else:
        key = [meta.primary_key.name]
    columns = [
        (
            f.column_name,
            f.ddl_datatype(ctx).sql.upper(),
            int(not f.null),
            _sql_default(f),
            key.index(f.name) + 1 if f.name in key else 0,
        )
        for f in meta.sorted_fields
    ]
    foreign_keys = frozenset(
        (
            f.column_name,
            f.rel_model._meta.table_name,
            f.rel_field.column_name,
            (f.on_update or "NO ACTION").upper(),
            (f.on_delete or "NO ACTION").upper(),
        )
        for f in meta.sorted_fields
        if isinstance(f, pw.ForeignKeyField)
    )
    indexes = frozenset(
        _index(i._name, int(i._unique), tuple(e.column_name for e in i._expressions), int(i._where is not None))
        for i in meta.fields_to_index()
    )
    return Shape(
        tuple(_rowid_alias_not_null(columns, meta.without_rowid)), foreign_keys, indexes, bool(meta.without_rowid)
    )


@pytest.fixture(params=["new", "upgraded from v1"])
def migrated(request, tmp_path) -> sqlite3.Connection:
    """A real library's database at the latest schema: created new, or created at v1 and upgraded."""
    folder = tmp_path / "library"
    if request.param != "new":
        folder.mkdir()
        old = sqlite3.connect(folder / "library.db", isolation_level=None)
        migrate(old, None, target=1)
        old.close()
    Library.open(folder).close()
    conn = sqlite3.connect(folder / "library.db")
    yield conn
    conn.close()


def test_all_models_cover_every_table_and_the_schema_has_only_tables_and_indexes(migrated):
    tables = {r[0] for r in migrated.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert sorted(m._meta.table_name for m in ALL_MODELS) == sorted(tables)
    # Views and triggers have no peewee model; a migration that adds one must extend this test.
    kinds = {r[0] for r in migrated.execute("SELECT DISTINCT type FROM sqlite_master")}
    assert kinds == {"table", "index"}


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m._meta.table_name)
def test_each_model_declares_its_migrated_table(migrated, model):
    assert shape_of_model(model) == shape_of_database(migrated)[model._meta.table_name]


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m._meta.table_name)
def test_python_defaults_match_the_sql_defaults(model):
    """Rows inserted through a model get the same values as rows inserted with plain SQL."""
    for field in model._meta.sorted_fields:
        sql = _sql_default(field)
        if field.default is None:
            assert sql is None, f"{field} has an SQL default {sql} but no Python default"
        elif isinstance(field.default, str):
            assert sql == "'" + field.default.replace("'", "''") + "'", field
        else:
            assert sql == str(int(field.default)), field


def test_create_tables_from_the_models_builds_the_migrated_schema(migrated, tmp_path: Path):
    db = pw.SqliteDatabase(str(tmp_path / "from_models.db"))
    with db.bind_ctx(ALL_MODELS):
        db.create_tables(ALL_MODELS)
    db.close()
    built = sqlite3.connect(tmp_path / "from_models.db")
    try:
        assert shape_of_database(built) == shape_of_database(migrated)
    finally:
        built.close()
