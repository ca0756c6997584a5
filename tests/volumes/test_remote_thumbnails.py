"""Thumbnails of pictures on a volume (``ops.media.thumbnail.remote``) against a real sshd: whole
reads of small pictures, cached by content id, and the cache used with no network call when the
library knows the content id."""

from __future__ import annotations

import io
import os
import time
from dataclasses import replace
from pathlib import Path

from PIL import Image

from sd_desktop import cas
from sd_desktop.ops.media.thumbnail import remote
from sd_desktop.volumes.blocking import list_folder
from tests.volumes import servers


def picture(path, size=(640, 480), color=(200, 30, 30)) -> None:
    Image.new("RGB", size, color).save(path, "PNG")


def test_small_pictures_get_their_thumbnails_in_the_sidecar_store(sftp_spec, library, monkeypatch):
    root = sftp_spec.root
    picture(os.path.join(root, "red #1 100%.png"))
    picture(os.path.join(root, "big.png"), size=(2000, 2000), color=(1, 2, 3))
    with open(os.path.join(root, "notes.txt"), "w") as f:
        f.write("not a picture")
    with open(os.path.join(root, "broken.png"), "wb") as f:
        f.write(b"\x89PNG not really")
    big = os.path.getsize(os.path.join(root, "big.png"))
    monkeypatch.setattr(remote, "MAX_BYTES", big - 1)  # big.png is over the limit: never read
    entries = list_folder(sftp_spec, "")
    found = remote.thumbnails(sftp_spec, entries, library)
    assert sorted(found) == ["big.png", "broken.png", "notes.txt", "red #1 100%.png"]
    assert found["big.png"] is None and found["notes.txt"] is None and found["broken.png"] is None
    with Image.open(io.BytesIO(found["red #1 100%.png"])) as im:
        assert (im.format, im.size) == ("WEBP", (256, 192))
    cas_id = cas.cas_id(os.path.join(root, "red #1 100%.png"))
    # where the thumbnail job keeps them: every variant it makes, under its names, and nothing else
    assert Path(remote.sidecar_path(library, cas_id)).read_bytes() == found["red #1 100%.png"]
    made = sorted(p.relative_to(library.sidecar_dir).as_posix() for p in library.sidecar_dir.rglob("*.*"))
    assert made == [f"{cas_id[:2]}/{cas_id[2:4]}/{cas_id}_256.webp", f"{cas_id[:2]}/{cas_id[2:4]}/{cas_id}_512.webp"]
    assert not (library.folder / "remote-thumbnails").exists()

    # the library knows the content id: the store answers, the volume is not even reached
    gone = replace(sftp_spec, options={**sftp_spec.options, "port": str(servers.free_port())})
    red = [e for e in entries if e.name == "red #1 100%.png"]
    assert remote.thumbnails(gone, red, library, {red[0].path: cas_id}) == {red[0].path: found[red[0].path]}


def test_thumbnails_made_for_the_window_are_the_jobs_own(run_cli, sshd, tmp_path, library_dir):
    """Made for the window from an indexed remote folder: recorded as the job's sidecars, byte for byte
    what the job makes, so ``thumbnails NAME:/path`` finds them done."""
    from sd_desktop.library import Library
    from sd_desktop.library.volumes import find_volume
    from sd_desktop.volumes.specs import spec_of
    from tests.volumes.test_remote_thumbnail_job import _pictures, _sidecars
    from tests.volumes.test_volume_cli import NO_KEYRING, add_sftp

    folder = tmp_path / "remote"
    _pictures(folder)
    assert add_sftp(run_cli, sshd, folder).returncode == 0
    assert run_cli("index", "nas:/").returncode == 0
    lib = Library.open(library_dir)
    try:
        row = lib.read_sync(lambda c: find_volume(c, "nas"))
        spec = spec_of(row, lib.folder)
        entries = list_folder(spec, "") + list_folder(spec, "sub")
        known = lib.read_sync(lambda c: remote.known_cas_ids(c, row.id, entries))
        found = remote.thumbnails(spec, entries, lib, known)
    finally:
        lib.close()
    assert sorted(p for p, data in found.items() if data) == ["logo #2.png", "sub/photo 1.jpg"]
    window_made = _sidecars(library_dir)
    assert len(window_made) == 4  # two pictures, two sizes each, recorded
    job = run_cli("thumbnails", "nas:/", "--json")
    assert job.returncode == 0, job.stderr
    out = job.result["output"]
    assert (out["generated"], out["already_present"], out["skipped"]) == (0, 2, 1)

    other = tmp_path / "other library"  # the job on its own, elsewhere: the same files
    address = f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{folder}"
    added = run_cli(
        "volume", "add", "nas", address, "--option", f"key={sshd.key}", "--option", "known_hosts=accept",
        library=other, env=NO_KEYRING,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert run_cli("index", "nas:/", library=other).returncode == 0
    assert run_cli("thumbnails", "nas:/", library=other).returncode == 0
    assert _sidecars(other) == window_made


DAY = 24 * 3600


def _window_made(spec, library, names: list[str]) -> dict[str, list[Path]]:
    """What the window does for a volume's folder the library has not indexed: each picture's
    thumbnail made into the sidecars (unrecorded); returns each one's files (every variant)."""
    entries = [e for e in list_folder(spec, "") if e.name in names]
    found = remote.thumbnails(spec, entries, library)
    assert sorted(p for p, data in found.items() if data) == sorted(names)
    assert library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM sidecar").fetchone()[0]) == 0
    files = {}
    for name in names:
        cas_id = cas.cas_id(os.path.join(spec.root, name))
        files[name] = sorted(library.sidecar_dir.glob(f"{cas_id[:2]}/{cas_id[2:4]}/{cas_id}_*.webp"))
        assert len(files[name]) == 2
    return files


def _age(files: list[Path], seconds: float) -> None:
    when = time.time() - seconds
    for f in files:
        os.utime(f, (when, when))


def _library_job(library, tmp_path) -> dict:
    """The thumbnail job over the whole library (a local location with one picture): it ends with
    its cleanup of the sidecars."""
    from tests.thumbnails._rows import index_tree
    from tests.thumbnails._rows import picture as local_picture
    from tests.thumbnails.conftest import run_thumbnails

    local_picture(tmp_path / "local pics" / "here.jpg", (800, 600), seed=3, quality=80)
    index_tree(library, tmp_path / "local pics")
    info = run_thumbnails(library, {})
    assert info.status.value == "completed", info.error
    return info.output


def test_a_window_thumbnail_of_content_the_library_lacks_outlives_the_jobs_cleanup(sftp_spec, library, tmp_path):
    """The window made the thumbnail of a picture on a volume the library has not indexed (two days
    ago); the thumbnail job over the library ends with its cleanup: the thumbnail is still there,
    the same file, and the window shows it from the store without decoding the picture again."""
    picture(os.path.join(sftp_spec.root, "red.png"))
    files = _window_made(sftp_spec, library, ["red.png"])["red.png"]
    _age(files, 2 * DAY)
    before = {f: (f.read_bytes(), f.stat().st_ino) for f in files}
    out = _library_job(library, tmp_path)
    assert (out["generated"], out["removed_orphans"]) == (1, 0)
    assert {f: (f.read_bytes(), f.stat().st_ino) for f in files} == before
    entries = [e for e in list_folder(sftp_spec, "") if e.name == "red.png"]
    again = remote.thumbnails(sftp_spec, entries, library)
    assert again == {"red.png": before[remote_variant(files)][0]}
    assert {f: f.stat().st_ino for f in files} == {f: ino for f, (_, ino) in before.items()}  # not made again


def remote_variant(files: list[Path]) -> Path:
    """The file of the variant the window shows."""
    return next(f for f in files if f.name.endswith(f"_{remote.VARIANT}.webp"))


def test_a_window_thumbnail_unused_past_the_grace_period_goes_one_in_use_stays(sftp_spec, library, tmp_path):
    """The cache's limit: an unrecorded thumbnail nobody used for longer than the grace period is
    removed by the cleanup; one the window showed again lately stays, however long ago it was made."""
    from sd_desktop.ops.media.thumbnail.sidecars import UNRECORDED_GRACE

    picture(os.path.join(sftp_spec.root, "red.png"))
    picture(os.path.join(sftp_spec.root, "blue.png"), color=(20, 30, 200))
    files = _window_made(sftp_spec, library, ["red.png", "blue.png"])
    for made in files.values():
        _age(made, UNRECORDED_GRACE + DAY)
    blue = [e for e in list_folder(sftp_spec, "") if e.name == "blue.png"]
    shown = remote.thumbnails(sftp_spec, blue, library)  # the window shows blue.png again today
    assert shown == {"blue.png": remote_variant(files["blue.png"]).read_bytes()}
    out = _library_job(library, tmp_path)
    assert out["removed_orphans"] == 2
    assert [f.exists() for f in files["red.png"]] == [False, False]
    assert [f.exists() for f in files["blue.png"]] == [True, True]
