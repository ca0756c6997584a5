"""Shared by the file-operation tests: run a job to its end, compare trees, mount a small tmpfs."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
from pathlib import Path

import pytest

from sd_desktop.jobs import JobInfo, JobManager
from sd_desktop.jobs.codec import to_jsonable


async def run_job_async(lib, name: str, config) -> JobInfo:
    manager = JobManager(lib, run_queued=True)
    await manager.start()
    try:
        job_id = await manager.enqueue(name, config)
        return jsonable(await manager.wait(job_id))
    finally:
        await manager.shutdown()


def jsonable(info: JobInfo) -> JobInfo:
    """The output as the CLI prints it (paths as text), so tests compare plain values."""
    info.output = to_jsonable(info.output) if info.output is not None else None
    return info


def run_job(lib, name: str, config) -> JobInfo:
    return asyncio.run(run_job_async(lib, name, config))


def outcomes(info: JobInfo) -> dict[str, dict]:
    """output.outcomes keyed by the source's file name."""
    return {
        os.path.basename(os.fsencode(row["path"])).decode("utf-8", "surrogateescape"): row
        for row in info.output["outcomes"]
    }


def snapshot(root: Path) -> dict[bytes, tuple]:
    """Every entry below ``root``: kind, content (files), link target (links), mtime_ns, mode."""
    found = {}
    base = os.fsencode(root)
    for folder, dirs, files in os.walk(base):
        for name in dirs + files:
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, base)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = ("dir", st.st_mtime_ns, stat.S_IMODE(st.st_mode))
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    found[rel] = ("file", f.read(), st.st_mtime_ns, stat.S_IMODE(st.st_mode))
            else:
                found[rel] = ("other",)
    return found


def temp_leftovers(root: Path) -> list[bytes]:
    return [
        os.path.join(folder, n)
        for folder, _d, files in os.walk(os.fsencode(root))
        for n in files
        if n.startswith(b".sd-desktop-") and n.endswith(b".part")
    ]


def make_tree(root: Path) -> Path:
    """A small tree with nested folders, an empty file, a symlink, odd names and set mtimes/modes."""
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha\n")
    (root / "empty").write_bytes(b"")
    (root / "sub" / "b.bin").write_bytes(os.urandom(300_000))
    (root / "sub" / "deeper" / "c.txt").write_bytes(b"gamma" * 1000)
    (root / "-leading dash\nnewline").write_bytes(b"odd name")
    os.symlink("a.txt", root / "link-to-a")
    os.symlink("/nonexistent/target", root / "dangling")
    odd = os.path.join(os.fsencode(root), b"undecodable-\xff\xfe.txt")
    with open(odd, "wb") as f:
        f.write(b"bytes name")
    long_name = "L" * 250
    (root / long_name).write_bytes(b"long")
    os.chmod(root / "sub" / "b.bin", 0o640)
    for i, p in enumerate([root / "a.txt", root / "sub" / "b.bin", root / "sub"]):
        os.utime(p, ns=(1_600_000_000_123_456_789 + i, 1_600_000_000_123_456_789 + i))
    return root


def _mount(where: Path, size: str):
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.decode().strip()}")
    return where


@pytest.fixture
def mount_tmpfs(tmp_path):
    """Factory: mount_tmpfs(name, size) -> path; every mount is removed after the test."""
    mounted: list[Path] = []

    def mount(name: str, size: str = "2m") -> Path:
        path = _mount(tmp_path / name, size)
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


MIB = 1024 * 1024
MKFS = {"xfs": ["mkfs.xfs", "-q"], "btrfs": ["mkfs.btrfs", "-q"]}


@pytest.fixture
def mount_loop_fs(tmp_path):
    """Factory: mount_loop_fs(name, fstype, *mkfs_options) -> mountpoint of a fresh 300 MB image of
    ``fstype`` (xfs, btrfs) on a loop device, unmounted after the test. Skips with the reason where
    the mkfs tool is missing or loop mounts are not allowed (needs root and loop devices)."""
    import shutil

    mounted: list[Path] = []

    def mount(name: str, fstype: str, *options: str) -> Path:
        mkfs = MKFS[fstype]
        if shutil.which(mkfs[0]) is None:
            pytest.skip(f"needs {mkfs[0]} (installed by scripts/setup.sh --test)")
        image, point = tmp_path / f"{name}.img", tmp_path / name
        with open(image, "wb") as f:
            f.truncate(300 * MIB)  # sparse: XFS's smallest size, a few MB on disk
        subprocess.run([*mkfs, *options, str(image)], check=True, capture_output=True)
        point.mkdir()
        proc = subprocess.run(["mount", "-o", "loop", str(image), str(point)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot loop-mount a {fstype} image here (needs root and loop devices): {proc.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], capture_output=True)


@pytest.fixture
def mount_xfs(mount_loop_fs):
    """Factory: mount_xfs(name, reflink) -> mountpoint of a fresh 300 MB XFS image on a loop device."""

    def mount(name: str, reflink: bool) -> Path:
        return mount_loop_fs(name, "xfs", "-m", f"reflink={int(reflink)}")

    return mount


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` until about ``leave`` bytes are free."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(folder / "filler", "wb") as f:
        try:
            f.write(b"\0" * max(0, free - leave))
        except OSError:
            pass


@pytest.fixture
def mount_faultfs(tmp_path):
    """Factory: mount_faultfs(name, faults) -> (mountpoint, backing folder): a FUSE pass-through
    file system (tests/support/faultfs.py) that fails or corrupts I/O as ``faults`` says.
    Skips with the reason where FUSE cannot be used (no fusepy/libfuse, no /dev/fuse, not root)."""
    import json
    import sys
    import time

    try:
        import fuse  # noqa: F401
    except (ImportError, OSError) as exc:  # fusepy raises OSError when libfuse2 is missing
        pytest.skip(f"FUSE fault injection needs fusepy and libfuse2 (scripts/setup.sh --test): {exc}")
    if not os.path.exists("/dev/fuse"):
        pytest.skip("FUSE fault injection needs /dev/fuse")
    mounted: list[tuple[Path, subprocess.Popen]] = []

    def mount(name: str, faults: dict) -> tuple[Path, Path]:
        backing, point = tmp_path / f"{name}-backing", tmp_path / name
        backing.mkdir()
        point.mkdir()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.faultfs", str(backing), str(point), json.dumps(faults)],
            stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
        )
        deadline = time.monotonic() + 20
        while not os.path.ismount(point):
            if proc.poll() is not None:
                pytest.skip(f"cannot mount a FUSE file system here: {proc.stderr.read().decode().strip()}")
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the FUSE file system did not come up within 20 s")
            time.sleep(0.02)
        mounted.append((point, proc))
        return point, backing

    yield mount
    for point, proc in mounted:
        subprocess.run(["umount", str(point)], capture_output=True)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            subprocess.run(["umount", "-l", str(point)], capture_output=True)
            proc.kill()
            proc.wait()


def counting_backend(names: list[str]) -> type:
    """A local backend class whose ``names`` count each call in its ``calls`` (reset it per test).
    Each stays what it is on ``LocalBackend``: an ``os`` builtin or a static method is called as it
    is, a method is bound to the counting backend (so the calls it makes itself are counted too)."""
    import inspect
    import types
    from collections import Counter

    from sd_desktop.volumes import LocalBackend

    class Counting(LocalBackend):
        calls: Counter = Counter()

    def counted(name: str):
        raw = inspect.getattr_static(LocalBackend, name)
        bound = isinstance(raw, types.FunctionType)
        real = raw.__func__ if isinstance(raw, staticmethod) else raw

        def call(self, *args, **kwargs):
            Counting.calls[name] += 1
            return real(self, *args, **kwargs) if bound else real(*args, **kwargs)

        return call

    for name in names:
        setattr(Counting, name, counted(name))
    return Counting


def small_tree(root: Path) -> Path:
    """Two files (one in a sub-folder) and a symlink to one of them."""
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha")
    (root / "sub" / "b.txt").write_bytes(b"beta" * 1000)
    os.symlink("a.txt", root / "link")
    return root
