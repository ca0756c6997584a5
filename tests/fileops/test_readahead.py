"""``opened_ahead``: files handed out in order, open at most a window ahead, every fd closed."""

from __future__ import annotations

import os

import pytest

from sd_desktop.ops.files.readahead import opened_ahead
from tests.support.fds import open_below


@pytest.fixture
def files(tmp_path):
    out = []
    for n in range(40):
        p = tmp_path / f"f{n:02}"
        p.write_bytes(bytes([n]) * (1000 + n))
        out.append(os.fsencode(p))
    return out


def whole(path: bytes) -> tuple[int, int]:
    return 0, os.path.getsize(path)


def test_order_content_and_window(files, tmp_path):
    peak = 0
    seen = []
    for path, fd in opened_ahead(files, lambda p: os.open(p, os.O_RDONLY), whole, window_files=5):
        peak = max(peak, open_below(tmp_path))
        data = os.pread(fd, 5000, 0)
        seen.append(path)
        assert data == bytes([files.index(path)]) * len(data) and len(data) == whole(path)[1]
    assert seen == files
    assert 5 <= peak <= 6  # the window plus the one being read
    assert open_below(tmp_path) == 0


def test_byte_window_limits_how_far_ahead(files, tmp_path):
    peak = 0
    for _path, _fd in opened_ahead(files, lambda p: os.open(p, os.O_RDONLY), whole, window_bytes=3000):
        peak = max(peak, open_below(tmp_path))
    assert peak <= 4  # three files of ~1 KB fit in 3,000 bytes, plus the one handed out


def test_open_errors_come_in_place_and_others_still_read(files, tmp_path):
    gone = os.fsencode(tmp_path / "missing")
    items = files[:3] + [gone] + files[3:6]
    out = list(
        (p, fd if isinstance(fd, BaseException) else "fd")
        for p, fd in opened_ahead(items, lambda p: os.open(p, os.O_RDONLY), lambda p: (0, 100))
    )
    assert [p for p, _ in out] == items
    assert isinstance(out[3][1], FileNotFoundError)
    assert all(v == "fd" for p, v in out if p != gone)


def test_leaving_early_closes_every_fd(files, tmp_path):
    it = opened_ahead(files, lambda p: os.open(p, os.O_RDONLY), whole, window_files=10)
    for n, (_path, _fd) in enumerate(it):
        if n == 3:
            break
    assert open_below(tmp_path) > 0  # the window is still open until the iterator is closed
    it.close()
    assert open_below(tmp_path) == 0
