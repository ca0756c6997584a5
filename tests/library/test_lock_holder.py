"""The lock file says who holds the library and whether it serves other commands."""

from __future__ import annotations

import os

import pytest

from sd_desktop.library.lock import Holder, LibraryLock, LibraryLocked


def _holder_seen_by_another(folder) -> Holder:
    with pytest.raises(LibraryLocked) as caught:
        LibraryLock(folder, "sd-desktop other").acquire()  # flock: another open file description
    return caught.value.holder


def test_the_holder_and_whether_it_serves(tmp_path):
    lock = LibraryLock(tmp_path, "sd-desktop serve")
    lock.acquire()
    try:
        assert _holder_seen_by_another(tmp_path) == Holder(os.getpid(), "sd-desktop serve", False)
        lock.set_serving(True)
        assert _holder_seen_by_another(tmp_path) == Holder(os.getpid(), "sd-desktop serve", True)
        assert (tmp_path / "library.lock").read_text() == f"{os.getpid()}\nsd-desktop serve\nserves\n"
        lock.set_serving(False)
        assert (tmp_path / "library.lock").read_text() == f"{os.getpid()}\nsd-desktop serve\nalone\n"
    finally:
        lock.release()
    LibraryLock(tmp_path).acquire()  # released: free again


def test_an_older_builds_lock_file_holds_only_the_pid(tmp_path):
    (tmp_path / "library.lock").write_text("1234")
    lock = LibraryLock(tmp_path)
    import fcntl

    fd = os.open(tmp_path / "library.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(LibraryLocked) as caught:
            lock.acquire()
        assert caught.value.holder == Holder(1234, "", False)
        assert str(caught.value) == f"library in use by PID 1234 ({tmp_path})"
    finally:
        os.close(fd)
