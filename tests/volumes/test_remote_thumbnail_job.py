"""``thumbnails NAME:/path`` against a real sshd: pictures fetched through the volume, decoded by the
same workers, stored as sidecars keyed by content id, so a local copy of the same bytes shares them
and they equal the thumbnails made from that local copy."""

from __future__ import annotations

import io
import shutil
import sqlite3

from PIL import Image

from tests.volumes import servers
from tests.volumes.test_volume_cli import add_sftp


def _pictures(folder) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    photo = Image.radial_gradient("L").resize((800, 600)).convert("RGB")
    jpeg, png = io.BytesIO(), io.BytesIO()
    photo.save(jpeg, "JPEG", quality=90)
    Image.linear_gradient("L").resize((300, 200)).convert("RGBA").save(png, "PNG")
    files = {"sub/photo 1.jpg": jpeg.getvalue(), "logo #2.png": png.getvalue(), "notes.txt": b"no picture"}
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return files


def _sidecars(library_dir) -> dict[str, bytes]:
    """Every sidecar file by its path in the library's sidecars folder, with its bytes."""
    conn = sqlite3.connect(library_dir / "library.db")
    try:
        rows = [r[0] for r in conn.execute("SELECT path FROM sidecar ORDER BY path")]
    finally:
        conn.close()
    return {rel: (library_dir / "sidecars" / rel).read_bytes() for rel in rows}


def test_thumbnails_of_remote_pictures_equal_and_share_those_of_the_same_local_files(
    run_cli, sshd, tmp_path, library_dir
):
    remote = tmp_path / "remote"
    _pictures(remote)
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    assert run_cli("index", "nas:/").returncode == 0
    made = run_cli("thumbnails", "nas:/", "--json")
    assert made.returncode == 0, made.stderr
    out = made.result["output"]
    assert (out["generated"], out["skipped"], out["failed"], out["already_present"]) == (2, 1, 0, 0)
    assert out["variants"] == ["256", "512"]
    remote_made = _sidecars(library_dir)
    assert len(remote_made) == 4  # two pictures, two sizes each

    # the same bytes in a local folder of another library: the same sidecars, byte for byte
    other = tmp_path / "other library"
    local = tmp_path / "local"
    shutil.copytree(remote, local)
    assert run_cli("index", str(local), library=other).returncode == 0
    assert run_cli("thumbnails", str(local), library=other).returncode == 0
    assert _sidecars(other) == remote_made

    # and in a local folder of this library: already there, shared by content id
    assert run_cli("index", str(local)).returncode == 0
    shared = run_cli("thumbnails", str(local), "--json")
    assert shared.returncode == 0, shared.stderr
    out = shared.result["output"]
    assert (out["generated"], out["already_present"], out["skipped"]) == (0, 2, 1)


def test_thumbnails_of_a_remote_location_below_the_volume_root(run_cli, sshd, tmp_path, library_dir):
    remote = tmp_path / "remote"
    _pictures(remote)
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    assert run_cli("index", "nas:/sub").returncode == 0  # the location is nas:/sub
    made = run_cli("thumbnails", "nas:/sub/photo 1.jpg", "--json")
    assert made.returncode == 0, made.stderr
    assert (made.result["output"]["generated"], made.result["output"]["skipped"]) == (1, 0)
    outside = run_cli("thumbnails", "nas:/")
    assert (outside.returncode, outside.stderr) == (
        1,
        "sd-desktop: nas:/ is in no location: index it first (sd-desktop index nas:/)\n",
    )


def test_a_server_gone_pauses_the_thumbnails_and_resume_makes_them(run_cli, tmp_path, library_dir):
    server = servers.make_sshd(tmp_path / "ssh")
    remote = tmp_path / "remote"
    _pictures(remote)
    server.start()
    try:
        assert add_sftp(run_cli, server, remote).returncode == 0
        assert run_cli("index", "nas:/").returncode == 0
        server.stop()
        paused = run_cli("thumbnails", "nas:/")
        assert paused.returncode == 3, paused.stderr
        lines = paused.stderr.splitlines()
        assert lines[0] == "job 2 paused; continue it with: sd-desktop jobs resume 2"
        assert lines[1].startswith("  ! nas:/")
        assert f"volume nas: cannot reach 127.0.0.1:{server.port}: " in lines[1]
        server.start()
        resumed = run_cli("jobs", "resume", "2", "--json")
        assert resumed.returncode == 0, resumed.stderr
        assert (resumed.result["status"], resumed.result["errors"]) == ("completed", [])
        assert resumed.result["output"]["generated"] == 2
    finally:
        server.stop()
    assert len(_sidecars(library_dir)) == 4
