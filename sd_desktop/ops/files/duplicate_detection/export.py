"""Export duplicate results as JSON (the whole output) or CSV (one row per file of a group)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from sd_desktop.jobs.codec import to_jsonable
from sd_desktop.ops.files.text_export import write_text_atomically

CSV_FIELDS = ["group", "size", "hash", "path", "mtime_ns", "device", "inode", "reference", "hard_links", "wasted_bytes"]


def export(output: dict, dest: str | os.PathLike) -> Path:
    """Write ``output`` to ``dest``; the format follows the suffix (``.json`` or ``.csv``)."""
    dest = Path(dest)
    suffix = dest.suffix.lower()
    if suffix == ".json":
        write_json(output, dest)
    elif suffix == ".csv":
        write_csv(output, dest)
    else:
        raise ValueError(f"cannot export to {dest.name}: use a .json or .csv file name")
    return dest


def _atomic_text(dest: Path, write) -> None:
    write_text_atomically(dest, write)


def write_json(output: dict, dest: Path) -> None:
    _atomic_text(dest, lambda f: json.dump(to_jsonable(output), f, ensure_ascii=False, indent=1))


def write_csv(output: dict, dest: Path) -> None:
    def write(f) -> None:
        w = csv.writer(f)
        w.writerow(CSV_FIELDS)
        for n, group in enumerate(to_jsonable(output.get("groups", [])), start=1):
            files = group.get("files") or [{"path": p} for p in group["paths"]]
            for fi in files:
                w.writerow(
                    [
                        n,
                        group["size"],
                        group.get("hash") or "",
                        fi["path"],
                        fi.get("mtime_ns", ""),
                        fi.get("device", ""),
                        fi.get("inode", ""),
                        int(bool(fi.get("reference"))),
                        ";".join(fi.get("links", [])),
                        group.get("wasted_bytes", ""),
                    ]
                )

    _atomic_text(dest, write)
