"""Fixtures for the thumbnail tests: a library with a picture tree, and a job runner."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sd_desktop.jobs import JobInfo, JobManager
from tests.thumbnails._rows import index_tree, picture


def run_thumbnails(lib, config: dict, on_event: Callable | None = None) -> JobInfo:
    """Run one thumbnails job to its end with a real JobManager (plain asyncio)."""

    async def go() -> JobInfo:
        manager = JobManager(lib)
        if on_event is not None:
            manager.events.add_listener(lambda ev: on_event(manager, ev))
        await manager.start()
        try:
            job_id = await manager.enqueue("thumbnails", config)
            return await manager.wait(job_id)
        finally:
            await manager.shutdown()

    return asyncio.run(go())


def sidecar_rows(lib) -> list[tuple]:
    return lib.read_sync(
        lambda c: c.execute(
            "SELECT ci.cas_id, s.variant, s.format, s.path, s.width, s.height, s.size, s.created_at "
            "FROM sidecar s JOIN content_identity ci ON ci.id = s.content_id ORDER BY ci.cas_id, s.variant"
        ).fetchall()
    )


def temporaries(lib) -> list[Path]:
    return [p for p in Path(lib.sidecar_dir).rglob("*") if ".tmp-" in p.name]


@pytest.fixture
def pictures(tmp_path) -> Path:
    """5 JPEG photos, a PNG with alpha, a copy of one photo, a text file, a corrupt JPEG, a subfolder."""
    root = tmp_path / "pics"
    for i in range(4):
        picture(root / f"photo{i}.jpg", (1600, 1200), seed=i, quality=85)
    picture(root / "sub" / "tall.jpg", (900, 1600), seed=9, quality=85)
    picture(root / "sub" / "logo.png", (400, 200), mode="RGBA")
    (root / "sub" / "copy.jpg").write_bytes((root / "photo0.jpg").read_bytes())
    (root / "notes.txt").write_text("not a picture\n" * 10)
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(3000))
    return root


@pytest.fixture
def indexed(library, pictures) -> dict[str, int]:
    """The picture tree as library entries: {relative path: entry id}."""
    return index_tree(library, pictures)
