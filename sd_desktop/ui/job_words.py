"""How the job history names a job's outcome and what it worked on, in few words (pure functions,
no Qt).

The engine's ``target`` is written for logs and the command line ("location 1 (content)", full
paths); a row of a narrow table wants the folder's or location's name, with the full text kept for
the tooltip. Names come from the job's stored config, so they hold for jobs of earlier runs too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sd_desktop import paths
from sd_desktop.jobs import JobInfo, JobStatus
from sd_desktop.ui.formatting import plural

# a location's id → (name, path), as the sidebar lists them
Locations = Mapping[int, tuple[str, str]]

SHORT_STATUS = {
    JobStatus.QUEUED: "Waiting",
    JobStatus.RUNNING: "Running",
    JobStatus.PAUSED: "Paused",
    JobStatus.COMPLETED: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}


def short_status(info: JobInfo) -> str:
    """ "Done", "Done with 3 errors", "Failed", "Cancelled", or "Interrupted" for a job the app
    stopped under (a crash) that could not continue."""
    if info.status is JobStatus.COMPLETED_WITH_ERRORS:
        return f"Done with {plural(info.error_count, 'error')}" if info.error_count else "Done with errors"
    if info.status is JobStatus.FAILED and info.interrupted:
        return "Interrupted"
    return SHORT_STATUS.get(info.status, str(info.status).capitalize())


def _raw(value: Any) -> bytes | None:
    try:
        return os.fsencode(value)
    except TypeError:
        return None


def _name(value: Any) -> str:
    raw = _raw(value)
    if raw is None:
        return ""
    raw = raw.rstrip(b"/") or raw
    return paths.display(os.path.basename(raw) or raw)


def _full(value: Any) -> str:
    raw = _raw(value)
    return paths.display(raw) if raw is not None else ""


def _several(items: list[Any], key: str | None = None) -> tuple[str, str]:
    """The first item's name ("and 2 more"), and every full path, one a line."""
    values = [i.get(key) if key and isinstance(i, dict) else i for i in items]
    values = [v for v in values if _raw(v)]
    if not values:
        return "", ""
    short = _name(values[0])
    if len(values) > 1:
        short += f" and {len(values) - 1} more"
    return short, "\n".join(_full(v) for v in values)


def _location(cfg: dict, locations: Locations) -> tuple[str, str] | None:
    loc = cfg.get("location_id")
    if loc is None or loc not in locations:
        return None
    name, path = locations[loc]
    return name, path


def target_label(info: JobInfo, locations: Locations) -> tuple[str, str]:
    """(what a history row shows, the tooltip's full text) for the job's target."""
    cfg = info.config if isinstance(info.config, dict) else {}
    full = info.target or ""
    short = ""
    if info.name in ("indexer", "thumbnails"):
        if cfg.get("path") is not None:
            short, full = _name(cfg["path"]), _full(cfg["path"])
        elif cfg.get("entry_ids"):
            short = plural(len(cfg["entry_ids"]), "item")
        else:
            known = _location(cfg, locations)
            if known is not None:
                short, full = known
            elif cfg.get("location_id") is None and info.name == "thumbnails":
                short = "Whole library"
            else:
                short = "Removed location"  # its name went with it; the tooltip keeps the engine's words
    elif info.name in ("file_validation", "duplicate_detection", "duplicate_folders", "similar_pictures"):
        short, full = _several(cfg.get("targets") or cfg.get("search_paths") or cfg.get("paths") or [])
    elif info.name == "delete":
        guarded = cfg.get("guarded") or cfg.get("pictures") or cfg.get("folders") or []
        items = [g.get("path") for g in guarded if isinstance(g, dict)] or cfg.get("targets") or []
        short = _name(items[0]) if len(items) == 1 else plural(len(items), "item")
        full = "\n".join(_full(i) for i in items[:20]) + ("\n…" if len(items) > 20 else "")
    elif info.name == "file_copy":
        sources = cfg.get("sources") or []
        what = _name(sources[0]) if len(sources) == 1 else plural(len(sources), "item")
        dest = cfg.get("destination")
        short = f"{what} → {_name(dest)}" if dest is not None else what
        verb = "Move" if cfg.get("move") else "Copy"
        full = f"{verb} {what} to {_full(dest)}" if dest is not None else full
    elif info.name == "trash_restore":
        items = cfg.get("items") or []
        short = _name(items[0]) if len(items) == 1 else plural(len(items), "item")
    if not short:
        # a job this module does not know: an absolute path shows as its name
        raw = _raw(full)
        short = _name(full) if raw and raw.startswith(b"/") and b"\n" not in raw else full
    return short, full or short
