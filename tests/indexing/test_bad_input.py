"""Hostile trees (FAULTS 3 and 13): FIFOs, sockets, devices, symlink loops, dangling and outside
links, undecodable names, newlines, deep trees, unreadable folders, entries vanishing mid-walk,
files changing or turning into FIFOs between the walk and the hash."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest

from sd_desktop.library import Library
from sd_desktop.ops.indexing import identify
from sd_desktop.ops.indexing.config import IndexerRules
from sd_desktop.ops.indexing.resumable_walk import Walker
from sd_desktop.ops.indexing.rules import RuleSet
from tests.indexing.helpers import index, index_path, snapshot, write

UNDECODABLE = b"bad\xff\xfename.txt"
DEPTH = 1100  # deeper than Python's default recursion limit


def hostile_tree(root: Path) -> bytes:
    broot = os.fsencode(root)
    write(root / "normal.txt", "hello")
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    sock.close()
    try:
        os.mknod(root / "null-device", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except (PermissionError, OSError):
        pass
    os.symlink(".", root / "loop")
    os.symlink("does-not-exist", root / "dangling")
    os.symlink("/etc", root / "outside")
    os.symlink("normal.txt", root / "to-file")
    with open(os.path.join(broot, UNDECODABLE), "wb") as f:
        f.write(b"undecodable name")
    write(root / "new\nline.txt", "newline in the name")
    write(root / "-rf", "leading dash")
    write(root / ("x" * 255), "long name")
    write(root / unicodedata.normalize("NFC", "café.txt"), "nfc")
    write(root / unicodedata.normalize("NFD", "café.txt"), "nfd")
    deep = broot
    for _ in range(DEPTH):  # os.makedirs itself recurses too deep for this
        deep += b"/d"
        os.mkdir(deep)
    with open(os.path.join(deep, b"bottom.txt"), "wb") as f:
        f.write(b"at the bottom")
    return broot


@pytest.fixture
def hostile(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    hostile_tree(tree)
    yield tree
    # pytest's own clean-up (shutil.rmtree) recurses and would fail on the deep chain
    subprocess.run(["rm", "-rf", str(tree / "d")], check=True)


def test_hostile_tree_is_indexed_losslessly(run_cli, hostile, library_dir):
    tree = hostile
    res = run_cli("index", tree, "--json", timeout=120)
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    assert out["symlinks"] == 4
    assert out["others"] >= 2  # fifo and socket (and the device when root could make it)
    assert out["dirs"] == DEPTH
    lib = Library.open(library_dir)
    try:
        rows = snapshot(lib)
    finally:
        lib.close()
    assert rows[b"fifo"][2] == 3 and rows[b"fifo"][12] is None  # recorded, never opened
    assert rows[b"sock"][2] == 3
    assert rows[b"loop"][2] == 2 and rows[b"loop"][15] == b"."
    assert rows[b"dangling"][15] == b"does-not-exist"
    assert rows[b"outside"][15] == b"/etc"
    assert not any(p.startswith(b"outside/") or p.startswith(b"loop/") for p in rows)  # never followed
    assert rows[UNDECODABLE][1] == "bad\\xff\\xfename.txt" and rows[UNDECODABLE][12] is not None
    assert rows[b"new\nline.txt"][1] == "new\nline.txt"
    assert rows[b"-rf"][12] is not None
    assert rows[b"x" * 255][3] == len("long name")
    nfc, nfd = (unicodedata.normalize(f, "café.txt").encode() for f in ("NFC", "NFD"))
    assert nfc != nfd and rows[nfc][12] != rows[nfd][12]  # two names, two entries
    bottom = b"/".join([b"d"] * DEPTH) + b"/bottom.txt"
    assert rows[bottom][12] is not None
    assert rows[b"d"][4] == len("at the bottom") and rows[b"d"][5] == 1

    info = run_cli("info", os.fsdecode(os.path.join(os.fsencode(tree), UNDECODABLE)), "--json")
    assert info.returncode == 0, info.stderr
    got = info.result["output"]
    assert got["cas_id"] == rows[UNDECODABLE][12] and got["path"].endswith("bad\\xff\\xfename.txt")


def test_folder_vanishing_before_it_is_listed(tmp_path):
    tree = tmp_path / "tree"
    write(tree / "a/one.txt", "1")
    write(tree / "b/two.txt", "2")
    walker = Walker(os.fsencode(tree), [(b"", 0)], None, RuleSet(IndexerRules()))
    first = walker.batch(max_entries=1)  # lists the root only: a/ and b/ wait in the frontier
    assert {p for p, _ in first.frontier} == {b"a", b"b"}
    shutil.rmtree(tree / "a")
    second = walker.batch()
    assert second.vanished == [b"a"]
    assert [e for e in second.errors if e[0] == b"a" and "vanished" in e[1]]
    assert [d.rel for d in second.dirs] == [b"b"]


def test_vanished_folder_entry_is_removed_by_the_job(tmp_path):
    """Job level: a folder known to the library, gone when its turn comes, is dropped (with its subtree)."""
    tree = tmp_path / "tree"
    write(tree / "keep/k.txt", "k")
    write(tree / "gone/sub/g.txt", "g")
    lib = Library.open(tmp_path / "lib")
    try:
        index_path(lib, tree, mode="shallow")
        shutil.rmtree(tree / "gone")
        out = index(lib, {"location_id": 1, "mode": "shallow"}).output
        assert out["deleted"] == 3
        assert set(snapshot(lib)) == {b"", b"keep", b"keep/k.txt"}
    finally:
        lib.close()


def test_file_changed_or_replaced_by_fifo_after_the_walk(tmp_path):
    tree = tmp_path / "tree"
    f = write(tree / "f.txt", "original content")
    st = os.lstat(f)
    candidates = [(1, b"f.txt", st.st_size, st.st_mtime_ns, st.st_ino, None, None)]
    write(f, "rewritten with other content")
    out = identify.identify_batch(os.fsencode(tree), candidates, deep=True)
    assert out.done == [] and out.changed == 1 and "changed" in out.errors[0][1]

    os.unlink(f)
    os.mkfifo(f)  # opening a FIFO for reading would block forever without O_NONBLOCK
    out = identify.identify_batch(os.fsencode(tree), candidates, deep=False)
    assert out.done == [] and "no longer a regular file" in out.errors[0][1]

    os.unlink(f)
    out = identify.identify_batch(os.fsencode(tree), candidates, deep=False)
    assert out.done == [] and "vanished" in out.errors[0][1]


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root to drop to 'nobody'")
def test_unreadable_folder_is_a_non_critical_error(tmp_path):
    """As root permissions never fail, so a forked child drops to 'nobody' and runs the real job."""
    base = tempfile.mkdtemp(prefix="sd-unreadable-", dir="/tmp")
    try:
        os.chmod(base, 0o777)
        tree = Path(base) / "tree"
        write(tree / "open/ok.txt", "ok")
        write(tree / "locked/secret.txt", "secret")
        for dirpath, _dirnames, filenames in os.walk(base):
            os.chmod(dirpath, 0o777)
            for n in filenames:
                os.chmod(os.path.join(dirpath, n), 0o666)
        os.chmod(tree / "locked", 0o000)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            code = 1
            try:
                os.close(read_fd)
                os.setgid(65534)
                os.setuid(65534)
                lib = Library.open(Path(base) / "lib")
                try:
                    info = index_path(lib, tree)
                    rows = snapshot(lib)
                finally:
                    lib.close()
                payload = {
                    "status": info.status.value,
                    "errors": info.errors,
                    "paths": sorted(p.decode() for p in rows),
                }
                os.write(write_fd, json.dumps(payload).encode())
                code = 0
            except BaseException as exc:  # report, never return into pytest in the child
                os.write(write_fd, json.dumps({"crash": repr(exc)}).encode())
            finally:
                sys.stdout.flush()
                os._exit(code)
        os.close(write_fd)
        data = b""
        while chunk := os.read(read_fd, 65536):
            data += chunk
        os.close(read_fd)
        os.waitpid(pid, 0)
        got = json.loads(data)
        assert "crash" not in got, got
        assert got["status"] == "completed_with_errors"
        assert any(e["path"].endswith("/locked") and "permission denied" in e["message"] for e in got["errors"])
        assert got["paths"] == ["", "locked", "open", "open/ok.txt"]  # the folder is listed, its content unknown
    finally:
        os.chmod(Path(base) / "tree" / "locked", 0o755)
        shutil.rmtree(base, ignore_errors=True)
