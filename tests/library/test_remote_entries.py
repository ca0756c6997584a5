"""``library.remote_entries``: a remote folder's children written in one go, updated in place, and the
ones gone forgotten with everything below them."""

from __future__ import annotations

from sd_desktop.enums import EntryKind
from sd_desktop.library import remote_entries, volumes
from sd_desktop.library.remote_entries import Listed

F, D = EntryKind.FILE.value, EntryKind.DIR.value


def _location(library) -> int:
    volumes.add_volume(library, "nas", "sftp", "/", {}, None)
    return volumes.add_remote_location(library, "nas", "")


def test_write_update_and_forget_children(library):
    loc = _location(library)
    library.write_sync(lambda c: remote_entries.ensure_folders(c, loc, [b"", b"sub"]))
    library.write_sync(
        lambda c: remote_entries.write_folder(
            c, loc, b"", [Listed(b"a #1.txt", "a #1.txt", F, 3, 10, "aaaa"), Listed(b"sub", "sub", D, 0, 5, None)], []
        )
    )
    library.write_sync(
        lambda c: remote_entries.write_folder(
            c, loc, b"sub", [Listed("sub/ü.txt".encode(), "ü.txt", F, 4, 11, "bbbb")], []
        )
    )
    kids = library.read_sync(lambda c: remote_entries.children(c, loc, b""))
    assert {p: (s.kind, s.size, s.mtime_ns, s.cas_id) for p, s in kids.items()} == {
        b"a #1.txt": (F, 3, 10, "aaaa"),
        b"sub": (D, 0, 5, None),
    }
    first_id = kids[b"a #1.txt"].id
    library.write_sync(
        lambda c: remote_entries.write_folder(
            c, loc, b"", [Listed(b"a #1.txt", "a #1.txt", F, 9, 12, "cccc")], gone=[b"sub"]
        )
    )
    kids = library.read_sync(lambda c: remote_entries.children(c, loc, b""))
    assert {p: (s.id, s.size, s.cas_id) for p, s in kids.items()} == {b"a #1.txt": (first_id, 9, "cccc")}
    assert library.read_sync(lambda c: remote_entries.entry_at(c, loc, "sub/ü.txt".encode())) is None
    assert library.read_sync(lambda c: remote_entries.entry_at(c, loc, b"a #1.txt")) == {
        "kind": F,
        "size": 9,
        "mtime_ns": 12,
        "cas_id": "cccc",
        "integrity_hash": None,
    }
