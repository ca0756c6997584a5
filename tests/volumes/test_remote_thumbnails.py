"""Thumbnails of pictures on a volume (``ops.media.thumbnail.remote``) against a real sshd: whole
reads of small pictures, cached by content id, and the cache used with no network call when the
library knows the content id."""

from __future__ import annotations

import io
import os
from dataclasses import replace

from PIL import Image

from sd_desktop import cas
from sd_desktop.ops.media.thumbnail import remote
from sd_desktop.volumes.blocking import list_folder
from tests.volumes import servers


def picture(path, size=(640, 480), color=(200, 30, 30)) -> None:
    Image.new("RGB", size, color).save(path, "PNG")


def test_small_pictures_get_cached_thumbnails_keyed_by_content_id(sftp_spec, library_dir, monkeypatch):
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
    found = remote.thumbnails(sftp_spec, entries, library_dir)
    assert sorted(found) == ["big.png", "broken.png", "notes.txt", "red #1 100%.png"]
    assert found["big.png"] is None and found["notes.txt"] is None and found["broken.png"] is None
    with Image.open(io.BytesIO(found["red #1 100%.png"])) as im:
        assert (im.format, im.size) == ("WEBP", (256, 192))
    cas_id = cas.cas_id(os.path.join(root, "red #1 100%.png"))
    assert remote.cache_path(library_dir, cas_id).read_bytes() == found["red #1 100%.png"]
    assert sorted(p.name for p in (library_dir / remote.FOLDER).rglob("*")) == [cas_id[:2], f"{cas_id}_256.webp"]

    # the library knows the content id: the cache answers, the volume is not even reached
    gone = replace(sftp_spec, options={**sftp_spec.options, "port": str(servers.free_port())})
    red = [e for e in entries if e.name == "red #1 100%.png"]
    assert remote.thumbnails(gone, red, library_dir, {red[0].path: cas_id}) == {red[0].path: found[red[0].path]}
