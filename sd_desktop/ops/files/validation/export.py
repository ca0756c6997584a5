"""Export validation results as JSON (the whole output) or CSV (one row per issue)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from sd_desktop.jobs.codec import to_jsonable
from sd_desktop.ops.files.text_export import write_text_atomically

CSV_FIELDS = ["path", "type", "severity", "message", "suggested_action"]


def export(output: dict, dest: str | os.PathLike) -> Path:
    """Write ``output`` to ``dest``; the format follows the suffix (``.json`` or ``.csv``)."""
    dest = Path(dest)
    suffix = dest.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise ValueError(f"cannot export to {dest.name}: use a .json or .csv file name")
    data = to_jsonable(output)

    def write(f) -> None:
        if suffix == ".json":
            json.dump(data, f, ensure_ascii=False, indent=1)
        else:
            w = csv.writer(f)
            w.writerow(CSV_FIELDS)
            for i in data.get("issues", []):
                w.writerow([i.get(k, "") for k in CSV_FIELDS])

    write_text_atomically(dest, write)
    return dest
