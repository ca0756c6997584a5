"""Remote volumes over SFTP on 127.0.0.1 (a real ``sshd``), against OpenSSH's own clients measured in
the same run, whole processes alternating (``tests/perf/harness.py``, server files in the page cache):

* identify a tree of files of 1-16 MiB (``sd-desktop index NAME:/tree``: a listing per folder and
  the ~57 KiB of sampled ranged reads per file that make its content id) against downloading the
  whole tree (``sftp -b`` with ``get -r``, and ``scp -r``). Goal: <= 0.2 of the faster download.
  The brief's tree is 2,000 files (~17 GB); ``SD_DESKTOP_PERF_REMOTE_FILES`` (default 200, ~1.7 GB)
  scales the count, the sizes stay 1-16 MiB.
  ``SD_DESKTOP_PERF_REMOTE_RUNS`` (default 3) sets its rounds. The tree and one downloaded copy are
  on disk at once: the test skips when that would leave less than ``MIN_FREE`` of the disk free,
  checks again before every download, deletes each download right after it and the tree at the end.
* copy one 1 GiB file from the volume (``sd-desktop copy NAME:/big.bin DEST``: OpenSSH's ``sftp``
  client fetches it, the job confirms an offset every 64 MiB and fsyncs the file) against ``scp``.
  Goal: throughput >= 80 % of scp's. ``SD_DESKTOP_PERF_REMOTE_COPY_RUNS`` (default 5) rounds.

* through asyncssh, each way (``copy LOCAL nas:/up`` and ``copy nas:/NAME DEST``): one 256 MiB file
  and ``SD_DESKTOP_PERF_REMOTE_SMALL_FILES`` (default 2,000) files of 1-64 KiB in 20 folders,
  against ``scp -r`` of the same files to or from the same server. The volume logs in with a key
  that has a passphrase, which keeps every file on asyncssh (the path of password volumes and of
  files under 128 MiB). Goal for the 256 MiB file: throughput >= 85 % of scp's.
  ``SD_DESKTOP_PERF_REMOTE_COPY_RUNS`` rounds.

Goals are printed MET / NOT MET from this run's figures; ``SD_DESKTOP_PERF_STRICT=1`` asserts them.
Run: ``python -m pytest tests/perf/test_remote_perf.py -m perf -s``
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.perf.harness import Goal, Report, Step, checkout_env, measure, sd_desktop
from tests.volumes import servers

pytestmark = [pytest.mark.perf, pytest.mark.timeout(7200)]
RUNS = int(os.environ.get("SD_DESKTOP_PERF_REMOTE_RUNS", "3"))
COPY_RUNS = int(os.environ.get("SD_DESKTOP_PERF_REMOTE_COPY_RUNS", "5"))
FILES = int(os.environ.get("SD_DESKTOP_PERF_REMOTE_FILES", "200"))
MIB = 1024 * 1024
MIN_FREE = 12 * 10**9  # bytes the disk keeps free (other work shares it)
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = servers.make_sshd(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


def _ssh_options(server) -> list[str]:
    return [
        "-i",
        str(server.key),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "BatchMode=yes",
    ]


def _fresh_library(lib: Path, server, root: Path) -> None:
    """An empty library with the volume ``nas`` at ``root`` (untimed, before each run of ours)."""
    shutil.rmtree(lib, ignore_errors=True)
    url = f"sftp://{server.user}@127.0.0.1:{server.port}{root}"
    argv = [*sd_desktop(), "--library", str(lib), "volume", "add", "nas", url]
    argv += ["--option", f"key={server.key}", "--option", "known_hosts=accept"]
    subprocess.run(argv, env=checkout_env(NO_KEYRING), check=True, capture_output=True)


def _fresh_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def _fresh_down(path: Path, size: int) -> None:
    """An empty folder for a download of ``size`` bytes (the last one deleted first)."""
    _fresh_dir(path)
    _room_for(path, size)


def _warm(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                while f.read(8 * MIB):
                    pass


def _room_for(path: Path, size: int) -> None:
    """Fail before writing ``size`` bytes at ``path`` would leave less than ``MIN_FREE`` free."""
    free = shutil.disk_usage(path).free
    if free - size < MIN_FREE:
        pytest.fail(f"{size / 1e9:.1f} GB more at {path} would leave {(free - size) / 1e9:.1f} GB free (< 12 GB)")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """``FILES`` files of 1-16 MiB (uniform) in 10 folders; each starts with its own bytes so no two
    share a content id. Yields the folder holding ``tree/`` and the total size; deleted after the
    module (pytest keeps old temporary folders, and the full tree is ~17 GB)."""
    root = tmp_path_factory.mktemp("remote")
    rng = random.Random(7)
    sizes = [rng.randint(1 * MIB, 16 * MIB) for _ in range(FILES)]
    total = sum(sizes)
    free = shutil.disk_usage(root).free
    if free - 2 * total < MIN_FREE:  # the tree and one downloaded copy
        pytest.skip(f"the tree and a copy ({2 * total / 1e9:.1f} GB) would leave less than 12 GB free")
    block = os.urandom(16 * MIB)
    try:
        for i, size in enumerate(sizes):
            folder = root / "tree" / f"d{i % 10}"
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / f"f{i:05d}.bin", "wb") as f:
                f.write(os.urandom(4096))
                f.write(memoryview(block)[: size - 4096])
        yield root, total
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_identify_a_tree_vs_downloading_it(sshd, tree, tmp_path):
    root, total = tree
    _warm(root)
    lib, down = tmp_path / "lib", tmp_path / "down"
    batch = tmp_path / "batch"
    batch.write_text(f"get -r {root / 'tree'} {down}\n")
    target = f"{sshd.user}@127.0.0.1"

    def check_index(out: str) -> None:
        result = [json.loads(line) for line in out.splitlines() if '"result"' in line][-1]
        assert (result["output"]["files"], result["output"]["hashed"]) == (FILES, FILES), result["output"]

    steps = [
        Step(
            "sd-desktop index nas:/tree",
            [*sd_desktop(), "--library", lib, "index", "nas:/tree", "--json"],
            checkout_env(NO_KEYRING),
            before=lambda: _fresh_library(lib, sshd, root),
            check=check_index,
        ),
        Step(
            "sftp -b (get -r)",
            ["sftp", "-q", "-P", str(sshd.port), *_ssh_options(sshd), "-b", batch, target],
            before=lambda: _fresh_down(down, total),
            stdout=False,
        ),
        Step(
            "scp -r",
            ["scp", "-q", "-r", "-P", str(sshd.port), *_ssh_options(sshd), f"{target}:{root / 'tree'}", down],
            before=lambda: _fresh_down(down, total),
            stdout=False,
        ),
    ]
    try:
        ours, sftp_b, scp_r = measure(steps, RUNS, "warm", warmup=False)
    finally:
        shutil.rmtree(down, ignore_errors=True)
    faster = min((sftp_b, scp_r), key=lambda s: s.median)
    report = Report(f"identify {FILES} files of 1-16 MiB ({total / 1e9:.2f} GB) over SFTP vs downloading them")
    report.series(ours, sftp_b, scp_r)
    report.note(f"download MB/s: sftp -b {total / 1e6 / sftp_b.median:.0f}, scp -r {total / 1e6 / scp_r.median:.0f}")
    report.ratio(f"time, ours / {faster.label}", ours, faster, Goal("<=", 0.2))
    report.print()


def test_copy_a_large_file_from_sftp_vs_scp(sshd, tmp_path):
    root = tmp_path / "remote"
    root.mkdir()
    block = os.urandom(64 * MIB)
    with open(root / "big.bin", "wb") as f:
        for _ in range(16):  # 1 GiB
            f.write(block)
    size = 1024 * MIB
    _warm(root)
    lib, dest = tmp_path / "lib", tmp_path / "dest"

    def fresh_ours() -> None:
        _fresh_library(lib, sshd, root)
        _fresh_dir(dest)

    def check_copy(out: str) -> None:
        assert (dest / "big.bin").stat().st_size == size

    steps = [
        Step(
            "sd-desktop copy nas:/big.bin",
            [*sd_desktop(), "--library", lib, "copy", "nas:/big.bin", dest],
            checkout_env(NO_KEYRING),
            before=fresh_ours,
            check=check_copy,
            stdout=False,
        ),
        Step(
            "scp",
            ["scp", "-q", "-P", str(sshd.port), *_ssh_options(sshd), f"{sshd.user}@127.0.0.1:{root / 'big.bin'}", dest],
            before=lambda: _fresh_dir(dest),
            stdout=False,
        ),
        Step(
            "scp + sync -f DEST",
            [
                "sh",
                "-c",
                'scp -q "$@" && sync -f "$0"',
                dest,
                "-P",
                str(sshd.port),
                *_ssh_options(sshd),
                f"{sshd.user}@127.0.0.1:{root / 'big.bin'}",
                dest,
            ],
            before=lambda: _fresh_dir(dest),
            stdout=False,
        ),
    ]
    try:
        ours, scp, scp_sync = measure(steps, COPY_RUNS, "warm", warmup=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(dest, ignore_errors=True)
    report = Report("copy 1 GiB from SFTP vs scp")
    report.series(ours, scp, scp_sync)
    mb = size / 1e6
    report.note(
        f"MB/s: ours {mb / ours.median:.0f}, scp {mb / scp.median:.0f}, scp + sync -f {mb / scp_sync.median:.0f}"
    )
    report.ratio("throughput, ours / scp", scp, ours, Goal(">=", 0.8))
    report.ratio("throughput, ours / (scp + sync -f)", scp_sync, ours)
    report.print()


# -- one large file and many small ones, each way, through asyncssh ----------------------------------
SMALL_FILES = int(os.environ.get("SD_DESKTOP_PERF_REMOTE_SMALL_FILES", "2000"))
BIG = 256 * MIB
PASSPHRASE = "perf passphrase"


@pytest.fixture(scope="module")
def passphrase_key(sshd, tmp_path_factory):
    """A client key with a passphrase, accepted by ``sshd``: a volume that logs in with it reads
    every file through asyncssh (OpenSSH's ``sftp`` would have to ask for the passphrase)."""
    key = tmp_path_factory.mktemp("key") / "key"
    # PEM: asyncssh decrypts an OpenSSH-format key only with bcrypt, which is not a dependency
    keygen = ["ssh-keygen", "-q", "-t", "ecdsa", "-m", "PEM", "-N", PASSPHRASE, "-f", str(key)]
    subprocess.run(keygen, check=True)
    authorized = Path(sshd.config).parent / "authorized_keys"
    with open(authorized, "ab") as f:
        f.write(key.with_suffix(".pub").read_bytes())
    return key


@pytest.fixture(scope="module")
def transfer_sets(tmp_path_factory):
    """``{"big": folder with big.bin (256 MiB), "small": folder with small/ (SMALL_FILES files of
    1-64 KiB in 20 folders)}`` and the bytes of each."""
    root = tmp_path_factory.mktemp("sets")
    rng = random.Random(11)
    big = root / "big"
    big.mkdir()
    with open(big / "big.bin", "wb") as f:
        for _ in range(BIG // (16 * MIB)):
            f.write(os.urandom(16 * MIB))
    small, total = root / "small", 0
    for i in range(SMALL_FILES):
        folder = small / "small" / f"d{i % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(1024, 64 * 1024)
        (folder / f"f{i:05d}.bin").write_bytes(os.urandom(size))
        total += size
    try:
        yield {"big": (big, "big.bin", BIG), "small": (small, "small", total)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _tree_bytes(path: Path) -> tuple[int, int]:
    """(files, bytes) below ``path``, or of ``path`` itself."""
    if path.is_file():
        return 1, path.stat().st_size
    sizes = [p.stat().st_size for p in path.rglob("*") if p.is_file()]
    return len(sizes), sum(sizes)


@pytest.mark.parametrize("what", ["big", "small"])
@pytest.mark.parametrize("direction", ["upload", "download"])
def test_transfer_through_asyncssh_vs_scp(sshd, passphrase_key, transfer_sets, tmp_path, direction, what):
    """``sd-desktop copy LOCAL nas:/up`` (upload) or ``copy nas:/NAME DEST`` (download) of one
    256 MiB file or ``SMALL_FILES`` small ones, against ``scp`` (``-r``) of the same files to or from
    the same server. The volume logs in with a passphrase key, so every byte goes through asyncssh
    (a password volume's path); ``scp`` uses the plain key."""
    folder, name, size = transfer_sets[what]
    _warm(folder)
    files = _tree_bytes(folder / name)[0]
    lib, there = tmp_path / "lib", tmp_path / "there"
    target = f"{sshd.user}@127.0.0.1"
    scp = ["scp", "-q", "-r", "-P", str(sshd.port), *_ssh_options(sshd)]

    def fresh_library() -> None:
        shutil.rmtree(lib, ignore_errors=True)
        url = f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{there if direction == 'upload' else folder}"
        argv = [*sd_desktop(), "--library", str(lib), "volume", "add", "nas", url]
        argv += ["--option", f"key={passphrase_key}", "--option", f"passphrase={PASSPHRASE}"]
        argv += ["--option", "known_hosts=accept"]
        subprocess.run(argv, env=checkout_env(NO_KEYRING), check=True, capture_output=True)

    if direction == "upload":

        def fresh() -> None:
            _fresh_dir(there / "up")

        def fresh_ours() -> None:
            fresh_library()
            fresh()

        ours_argv = [*sd_desktop(), "--library", lib, "copy", folder / name, "nas:/up"]
        scp_argv = [*scp, folder / name, f"{target}:{there / 'up'}/"]
        landed = there / "up" / name
    else:

        def fresh() -> None:
            _fresh_dir(there)

        def fresh_ours() -> None:
            fresh_library()
            fresh()

        ours_argv = [*sd_desktop(), "--library", lib, "copy", f"nas:/{name}", there]
        scp_argv = [*scp, f"{target}:{folder / name}", there]
        landed = there / name

    def check(out: str) -> None:
        assert _tree_bytes(landed) == (files, size)

    steps = [
        Step(f"sd-desktop copy ({direction})", ours_argv, checkout_env(NO_KEYRING), fresh_ours, check, stdout=False),
        Step(f"scp -r ({direction})", scp_argv, before=fresh, check=check, stdout=False),
    ]
    try:
        ours, floor = measure(steps, COPY_RUNS, "warm", warmup=False)
    finally:
        shutil.rmtree(there, ignore_errors=True)
    report = Report(f"{direction} {files} file(s), {size / 1e6:.1f} MB, over SFTP through asyncssh vs scp")
    report.series(ours, floor)
    mb = size / 1e6
    report.note(f"MB/s: ours {mb / ours.median:.1f}, scp {mb / floor.median:.1f}; load average {os.getloadavg()}")
    report.ratio("throughput, ours / scp", floor, ours, Goal(">=", 0.85) if what == "big" else None)
    report.print()
