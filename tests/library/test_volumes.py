"""``library.volumes`` against a real library: volume rows, remote locations, removal with and without
its locations, and the ``NAME:/path`` shape."""

from __future__ import annotations

import pytest

from sd_desktop.library import volumes
from sd_desktop.library.volumes import VolumeError


def _add(library, name="nas"):
    return volumes.add_volume(library, name, "sftp", "/srv", {"host": "h", "port": "22"}, None)


def test_a_volume_round_trips_and_names_are_unique(library):
    vid = _add(library)
    row = library.read_sync(lambda c: volumes.find_volume(c, "nas"))
    assert (row.id, row.name, row.scheme, row.root, row.options, row.secret) == (
        vid,
        "nas",
        "sftp",
        "/srv",
        {"host": "h", "port": "22"},
        None,
    )
    assert library.read_sync(volumes.volume_names) == frozenset({"nas"})
    with pytest.raises(VolumeError, match="exists already"):
        _add(library)


@pytest.mark.parametrize("name", ["C", "a/b", "./x", "-x", "x:y", ""])
def test_bad_names_are_refused(library, name):
    with pytest.raises(VolumeError, match="bad volume name"):
        _add(library, name)


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("nas:/photos", ("nas", "/photos")),
        ("my.nas-2:/", ("my.nas-2", "/")),
        ("./x:/y", None),
        ("C:/Users", None),
        ("nas:photos", None),
        ("/abs/path", None),
    ],
)
def test_split_address(text, split):
    assert volumes.split_address(text) == split


def test_remote_locations_nest_like_local_ones_and_are_located(library):
    _add(library)
    row = library.read_sync(lambda c: volumes.find_volume(c, "nas"))
    loc = volumes.add_remote_location(library, "nas", "photos/2024")
    assert volumes.add_remote_location(library, "nas", "photos/2024") == loc
    with pytest.raises(VolumeError, match="inside the location nas:/photos/2024"):
        volumes.add_remote_location(library, "nas", "photos/2024/june")
    with pytest.raises(VolumeError, match="contains the location nas:/photos/2024"):
        volumes.add_remote_location(library, "nas", "photos")
    assert library.read_sync(lambda c: volumes.locate_remote(c, row.id, "photos/2024/june/a b.jpg")) == (
        loc,
        "june/a b.jpg",
    )
    assert library.read_sync(lambda c: volumes.locate_remote(c, row.id, "photos/20245")) is None
    where = library.read_sync(lambda c: volumes.remote_location(c, loc))
    assert (where.location_id, where.volume.name, where.path) == (loc, "nas", "photos/2024")


def test_remove_refuses_a_volume_with_locations_unless_asked(library):
    vid = _add(library)
    volumes.add_remote_location(library, "nas", "a")
    volumes.add_remote_location(library, "nas", "b")
    with pytest.raises(VolumeError, match=r"the volume has 2 location\(s\) \(nas:/a, nas:/b\)"):
        volumes.remove_volume(library, vid, with_locations=False)
    assert library.read_sync(volumes.volume_names) == frozenset({"nas"})
    assert volumes.remove_volume(library, vid, with_locations=True) == 2
    assert library.read_sync(volumes.list_volumes) == []
    assert library.read_sync(lambda c: volumes.locations_on(c, vid)) == []
