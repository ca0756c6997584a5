"""A folder replaced by a file of the same name between the listing and the reading (FAULTS 13): its
files are left out of the search as vanished, one clear line each; the other copies are still grouped."""

from __future__ import annotations

import os
import shutil

from sd_desktop.ops.files.duplicate_detection.stages import Member, Pipeline
from sd_desktop.ops.files.file_listing import ScanFilter, resolve_roots, walk
from tests.duplicates._helpers import write


def test_a_folder_swapped_for_a_file_after_listing(tmp_path):
    data = os.urandom(100_000)
    for name in ("a", "b", "sub/c", "sub/deeper/d"):
        write(tmp_path / name, data)
    infos = sorted(walk(resolve_roots([tmp_path]), ScanFilter(), [], lambda p, m: None), key=lambda i: i.path)
    assert len(infos) == 4
    shutil.rmtree(tmp_path / "sub")
    (tmp_path / "sub").write_bytes(b"now a file")
    p = Pipeline(deep=False)
    [group] = p.resolve_many([[Member(i) for i in infos]])
    assert sorted(os.path.basename(m.info.path) for m in group) == [b"a", b"b"]
    sub = os.fsencode(tmp_path / "sub")
    assert sorted(p.errors) == [
        (sub + b"/c", "left out of the duplicate search: vanished since it was listed"),
        (sub + b"/deeper/d", "left out of the duplicate search: vanished since it was listed"),
    ]
