"""The trash of a volume that is not the home's (FAULTS 12, 19), on a real tmpfs as ``$topdir``.

A trash folder is used only if it passes the freedesktop checks: ``.Trash`` a real folder with the
sticky bit, ``.Trash/$uid`` and ``.Trash-$uid`` real folders owned by the user with mode 0700.
Otherwise the item is refused with a clear reason and stays where it was; nothing lands in another
user's folder, nothing is copied to another device, no ``.trashinfo`` is left behind. Other users'
folders are made by that user (``setpriv``), as an attacker would.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from sd_desktop.ops.files.delete import DeleteConfig
from tests.fileops.helpers import run_job

NOBODY = 65534
UID = os.getuid()


@pytest.fixture
def vol(mount_tmpfs) -> Path:
    """A tmpfs (mode 1777, as tmpfs comes) mounted apart from the home's device."""
    if UID != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as another user")
    return mount_tmpfs("vol", "2m")


def as_nobody(cwd: Path, *cmd: str) -> None:
    """Run ``cmd`` as uid/gid 65534 in ``cwd`` (relative paths: nobody cannot traverse the test's tmp)."""
    subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd], cwd=cwd, check=True)


def delete(library, *targets: Path):
    info = run_job(library, "delete", DeleteConfig(targets=list(targets)))
    return info, [(r["outcome"], r["reason"]) for r in info.output["outcomes"]]


def victim(vol: Path, rel: str = "private/payroll.txt", content: bytes = b"salaries") -> Path:
    path = vol / rel
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_bytes(content)
    os.chmod(path, 0o600)
    return path


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_planted_trash_link_to_another_users_folder_is_refused(run_cli, vol):
    """The reported case: ``$topdir/.Trash-0`` a link to a folder owned by nobody."""
    as_nobody(vol, "mkdir", "-m", "0755", "nobody-files")
    os.symlink("nobody-files", vol / ".Trash-0")
    payroll = victim(vol)
    res = run_cli("delete", payroll, "--json")
    result = res.result
    assert result["status"] == "failed", res.stdout  # its one item failed
    assert res.returncode == 1
    [row] = result["output"]["outcomes"]
    assert row["outcome"] == "failed"
    assert row["reason"] == (
        f"could not move to the trash: the volume at {vol} has no trash this user can safely use "
        f"({vol}/.Trash-0 is a symbolic link, not used); delete it permanently instead if that is what you want; "
        "nothing was deleted"
    )
    assert result["output"]["failed"] == 1 and result["output"]["trashed"] == 0
    assert payroll.read_bytes() == b"salaries"
    assert os.listdir(vol / "nobody-files") == []
    assert os.readlink(vol / ".Trash-0") == "nobody-files"
    assert "Traceback" not in res.stderr


def test_trash_without_sticky_bit_or_as_a_link_is_not_used(library, vol):
    for shared in ("plain", "link"):
        if shared == "plain":
            (vol / ".Trash").mkdir(mode=0o777)
            os.chmod(vol / ".Trash", 0o777)  # world-writable, no sticky bit: others could swap entries
        else:
            (vol / "sticky").mkdir()
            os.chmod(vol / "sticky", 0o1777)
            os.symlink("sticky", vol / ".Trash")
        payroll = victim(vol)
        info, rows = delete(library, payroll)
        assert rows == [("trashed", None)]
        assert (vol / ".Trash-0" / "files" / "payroll.txt").read_bytes() == b"salaries"
        assert os.listdir(vol / ".Trash" / ".") == []  # nothing went into the rejected shared trash
        shutil.rmtree(vol / ".Trash-0")
        os.unlink(vol / ".Trash") if shared == "link" else os.rmdir(vol / ".Trash")


def test_sticky_shared_trash_gets_a_private_folder_per_user(library, vol):
    (vol / ".Trash").mkdir()
    os.chmod(vol / ".Trash", 0o1777)
    payroll = victim(vol)
    info, rows = delete(library, payroll)
    assert rows == [("trashed", None)]
    own = vol / ".Trash" / str(UID)
    st = os.lstat(own)
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == UID and stat.S_IMODE(st.st_mode) == 0o700
    assert (own / "files" / "payroll.txt").read_bytes() == b"salaries"
    text = (own / "info" / "payroll.txt.trashinfo").read_text()
    assert text.splitlines()[:2] == ["[Trash Info]", "Path=private/payroll.txt"]  # relative to $topdir
    assert not os.path.lexists(vol / ".Trash-0")


def test_another_users_folder_in_the_shared_trash_is_not_used(library, vol):
    """nobody creates ``.Trash/0`` (the sticky folder lets anyone create entries) before root trashes."""
    (vol / ".Trash").mkdir()
    os.chmod(vol / ".Trash", 0o1777)
    as_nobody(vol / ".Trash", "mkdir", "-m", "0700", str(UID))
    payroll = victim(vol)
    info, rows = delete(library, payroll)
    assert rows == [("trashed", None)]
    assert (vol / ".Trash-0" / "files" / "payroll.txt").read_bytes() == b"salaries"
    assert os.listdir(vol / ".Trash" / str(UID)) == []
    os.rmdir(vol / ".Trash" / str(UID))
    os.symlink("/", vol / ".Trash" / str(UID))  # a link there is not followed either
    second = victim(vol, "private/second.txt", b"two")
    info, rows = delete(library, second)
    assert rows == [("trashed", None)]
    assert (vol / ".Trash-0" / "files" / "second.txt").read_bytes() == b"two"


@pytest.mark.parametrize("planted", ["mode 0755", "owned by nobody", "a file"])
def test_unsafe_trash_folder_is_not_used_and_the_item_stays(library, vol, planted):
    if planted == "mode 0755":
        (vol / ".Trash-0").mkdir()
        os.chmod(vol / ".Trash-0", 0o755)
        why = f"{vol}/.Trash-0 has mode 0755, not 0700, not used"
    elif planted == "owned by nobody":
        as_nobody(vol, "mkdir", "-m", "0700", ".Trash-0")
        why = f"{vol}/.Trash-0 belongs to user {NOBODY}, not to you ({UID}), not used"
    else:
        (vol / ".Trash-0").write_bytes(b"")
        why = f"{vol}/.Trash-0 is not a folder, not used"
    before = tree(vol)
    payroll = victim(vol)
    info, rows = delete(library, payroll)
    assert info.status.value == "failed"  # its one item failed
    [(outcome, reason)] = rows
    assert outcome == "failed"
    assert f"no trash this user can safely use ({why})" in reason and reason.endswith("nothing was deleted")
    assert payroll.read_bytes() == b"salaries"
    assert tree(vol) == sorted([*before, "private", "private/payroll.txt"])  # nothing created, nothing moved


def test_valid_trash_is_created_private_and_used_with_a_correct_trashinfo(library, vol):
    old = os.umask(0o022)
    try:
        payroll = victim(vol)
        folder = vol / "reports"
        (folder / "2024").mkdir(parents=True)
        (folder / "2024" / "q1.csv").write_bytes(b"q1")
        info, rows = delete(library, payroll, folder)
    finally:
        os.umask(old)
    assert rows == [("trashed", None), ("trashed", None)]
    trash = vol / ".Trash-0"
    st = os.lstat(trash)
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == UID and stat.S_IMODE(st.st_mode) == 0o700
    assert sorted(os.listdir(trash / "files")) == ["payroll.txt", "reports"]
    assert (trash / "files" / "reports" / "2024" / "q1.csv").read_bytes() == b"q1"  # folders go whole
    for name, rel in (("payroll.txt", "private/payroll.txt"), ("reports", "reports")):
        record = trash / "info" / f"{name}.trashinfo"
        assert stat.S_IMODE(os.lstat(record).st_mode) == 0o600
        lines = record.read_text().splitlines()
        assert lines[:2] == ["[Trash Info]", f"Path={rel}"]
        assert re.fullmatch(r"DeletionDate=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", lines[2]) and len(lines) == 3
    assert not payroll.exists() and not folder.exists()


def test_same_name_twice_gets_the_next_free_name(library, vol):
    for content in (b"first", b"second", b"third"):
        info, rows = delete(library, victim(vol, "a/report.final.txt", content))
        assert rows == [("trashed", None)]
    files, infos = vol / ".Trash-0" / "files", vol / ".Trash-0" / "info"
    assert (files / "report.final.txt").read_bytes() == b"first"
    assert (files / "report.final.2.txt").read_bytes() == b"second"
    assert (files / "report.final.3.txt").read_bytes() == b"third"
    assert sorted(os.listdir(infos)) == [
        "report.final.2.txt.trashinfo",
        "report.final.3.txt.trashinfo",
        "report.final.txt.trashinfo",
    ]


def test_failed_rename_leaves_no_trashinfo_and_copies_nothing(library, vol, mount_tmpfs):
    """``files/`` on another file system: the rename fails (EXDEV); never a copy, never an orphan record."""
    trash = vol / ".Trash-0"
    (trash / "info").mkdir(parents=True)
    os.chmod(trash, 0o700)
    other = mount_tmpfs("vol/.Trash-0/files", "1m")
    payroll = victim(vol)
    info, rows = delete(library, payroll)
    [(outcome, reason)] = rows
    assert outcome == "failed"
    assert reason == (
        f"could not move to the trash: the trash folder {other} is on another file system than this item; "
        "it was not copied there; nothing was deleted"
    )
    assert payroll.read_bytes() == b"salaries"
    assert os.listdir(trash / "info") == []
    assert os.listdir(other) == []
    home_trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash"
    assert not home_trash.exists()  # not moved to the home's trash on another device either


def test_raw_byte_names_round_trip_in_the_trashinfo_path(library, vol, tmp_path):
    """FAULTS 3: a newline, undecodable bytes, ``%`` and a space in the name survive as the ``Path``."""
    name = b"pay\nroll-\xff\xfe 100%.txt"
    for topdir, folder, expected in (
        (vol, os.path.join(os.fsencode(vol), b"sub"), b"sub/" + name),  # topdir trash: relative
        (None, os.fsencode(tmp_path / "home-dev"), os.fsencode(tmp_path / "home-dev") + b"/" + name),  # absolute
    ):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(b"odd")
        info, rows = delete(library, Path(os.fsdecode(os.path.join(folder, name))))
        assert rows == [("trashed", None)]
        trash = (
            os.path.join(os.fsencode(topdir), b".Trash-0")
            if topdir
            else os.fsencode(Path(os.environ["XDG_DATA_HOME"]) / "Trash")
        )
        with open(os.path.join(trash, b"info", name + b".trashinfo"), "rb") as f:
            lines = f.read().split(b"\n")
        assert lines[0] == b"[Trash Info]" and lines[1].startswith(b"Path=") and lines[2].startswith(b"DeletionDate=")
        assert lines[3:] == [b""]  # the newline in the name did not split the record
        assert re.fullmatch(rb"[A-Za-z0-9%/._~-]+", lines[1][5:])  # percent-encoded: ASCII, no space, no newline
        assert unquote_to_bytes(lines[1][5:]) == expected
        with open(os.path.join(trash, b"files", name), "rb") as f:
            assert f.read() == b"odd"


def test_trash_returns_where_the_item_went_and_its_record(vol):
    """The module's own contract, kept for listing and restoring the trash later."""
    from sd_desktop.ops.files.delete import freedesktop_trash

    payroll = victim(vol, os.fsdecode(b"private/pay\nroll-\xff.txt"))  # undecodable byte, newline
    when = datetime(2024, 2, 29, 23, 59, 58)
    done = freedesktop_trash.trash(os.fsencode(payroll), now=when)
    raw = os.fsencode(vol)
    name = os.path.basename(os.fsencode(payroll))
    assert done == freedesktop_trash.Trashed(
        path=raw + b"/.Trash-0/files/" + name,
        info_path=raw + b"/.Trash-0/info/" + name + b".trashinfo",
        trash_dir=raw + b"/.Trash-0",
        original=os.fsencode(payroll),
    )
    assert freedesktop_trash.read_trashinfo(done.info_path) == freedesktop_trash.TrashInfo(
        path=b"private/" + name, deletion_date="2024-02-29T23:59:58"
    )
    with open(done.path, "rb") as f:
        assert f.read() == b"salaries"


def test_very_long_names_are_shortened_in_the_trash_and_kept_in_the_record(library, vol):
    """FAULTS 3: a 250-byte name plus ``.trashinfo`` is longer than a name may be; the record keeps it whole."""
    plain, accented = "L" * 250, "é" * 125  # 250 bytes each; "é" is two bytes in UTF-8
    info, rows = delete(library, victim(vol, f"a/{plain}", b"p"), victim(vol, f"a/{accented}", b"a"))
    assert rows == [("trashed", None), ("trashed", None)]
    files, infos = vol / ".Trash-0" / "files", vol / ".Trash-0" / "info"
    assert sorted(os.listdir(files)) == sorted(["L" * 245, "é" * 122])  # never half a character
    assert (files / ("L" * 245)).read_bytes() == b"p" and (files / ("é" * 122)).read_bytes() == b"a"
    for short, full in (("L" * 245, plain), ("é" * 122, accented)):
        text = (infos / f"{short}.trashinfo").read_bytes().split(b"\n")[1]
        assert unquote_to_bytes(text[5:]) == f"a/{full}".encode()


def test_a_folder_holding_its_own_trash_or_a_mount_point_is_refused(library, vol):
    data = Path(os.environ["XDG_DATA_HOME"])  # holds the home trash, $XDG_DATA_HOME/Trash
    (data / "notes").mkdir(parents=True)
    (data / "notes" / "n.txt").write_bytes(b"n")
    info, rows = delete(library, data, vol)
    assert rows == [
        (
            "failed",
            "could not move to the trash: the trash folder is inside this folder; it cannot go into itself; "
            "nothing was deleted",
        ),
        (
            "failed",
            "could not move to the trash: a mount point cannot go to the trash; unmount it first; nothing was deleted",
        ),
    ]
    assert (data / "notes" / "n.txt").read_bytes() == b"n"
    assert os.listdir(data / "Trash" / "info") == [] and os.listdir(data / "Trash" / "files") == []
    assert os.path.ismount(vol) and os.listdir(vol) == []
