"""The similar-pictures keep rules (largest, sharpest, the last kept picture) and the re-checked
removal of the marked pictures through the real DeleteJob (trash in a tmp ``XDG_DATA_HOME``)."""

from __future__ import annotations

import os

import pytest
from PIL import Image, ImageFilter

from sd_desktop.ops.files.delete.freedesktop_trash import home_trash
from sd_desktop.ops.files.delete.guard import ALREADY_GONE
from sd_desktop.ops.media.similar.keep import (
    Picture,
    can_mark,
    groups_of,
    largest,
    mark_all_but,
    removal_targets,
    sharpest,
    sharpness,
)
from tests.duplicates._helpers import run_job
from tests.support.make_corpus import make_similar_pictures


def pics(*specs: tuple[int, int, int]) -> list[Picture]:
    return [Picture(f"/p/{i}.jpg", size, w, h) for i, (w, h, size) in enumerate(specs)]


def test_largest_is_most_pixels_then_most_bytes_then_the_first():
    assert largest(pics((100, 100, 5), (200, 100, 1), (150, 100, 9))) == 1
    assert largest(pics((200, 100, 5), (100, 200, 7), (200, 100, 6))) == 1
    assert largest(pics((10, 10, 3), (10, 10, 3))) == 0


def test_sharpest_wins_and_ties_or_unmeasured_fall_back_to_the_largest():
    group = pics((100, 100, 5), (200, 100, 1), (150, 100, 9))
    assert sharpest(group, [30.0, 10.0, 20.0]) == 0
    assert sharpest(group, [None, None, None]) == 1
    assert sharpest(group, [5.0, 5.0, None]) == 1
    assert sharpest(group, [None, None, 0.5]) == 2


def test_marking_keeps_one_picture_per_group():
    group = pics((100, 100, 5), (200, 100, 1), (150, 100, 9))
    mark_all_but(group, largest(group))
    assert [p.marked for p in group] == [True, False, True]
    assert not can_mark(group, 1)  # the last kept picture
    assert can_mark(group, 0)  # already marked: may be unmarked
    group[0].marked = False
    assert can_mark(group, 1)
    group[2].gone = True
    mark_all_but(group, 0)
    assert [p.marked for p in group] == [False, True, False]  # a gone picture is never marked


def test_removal_targets_name_the_kept_pictures_and_skip_a_fully_marked_group():
    group = pics((100, 100, 5), (200, 100, 1))
    mark_all_but(group, 1)
    everything = pics((10, 10, 1), (10, 10, 2))
    for p in everything:
        p.marked = True
    targets = removal_targets([group, everything])
    assert [str(t.path) for t in targets] == ["/p/0.jpg"]
    assert [(str(k.path), k.size) for k in targets[0].keepers] == [("/p/1.jpg", 1)]


@pytest.fixture(scope="module")
def picture(tmp_path_factory):
    out = tmp_path_factory.mktemp("sharp")
    make_similar_pictures(str(out), seed=5, pictures=1, size=(640, 480))
    return out / "set00"


def test_sharpness_ranks_a_blurred_copy_below_its_original(picture, tmp_path):
    original = picture / "copy.png"
    blurred = tmp_path / "blurred.png"
    Image.open(original).filter(ImageFilter.GaussianBlur(3)).save(blurred)
    sharp, soft = sharpness(str(original)), sharpness(os.fsencode(blurred))
    assert sharp is not None and soft is not None
    assert sharp > 3 * soft
    not_a_picture = tmp_path / "notes.jpg"
    not_a_picture.write_bytes(b"not a picture")
    assert sharpness(str(not_a_picture)) is None
    assert sharpness(str(tmp_path / "missing.jpg")) is None


def _output_for(files: list) -> dict:
    """A similar-pictures output of one group, as the job reports it (sizes and mtimes as seen)."""
    sts = [os.stat(f) for f in files]
    return {
        "groups": [
            {
                "paths": [str(f) for f in files],
                "distances": [0] * len(files),
                "sizes": [st.st_size for st in sts],
                "widths": [640] * len(files),
                "heights": [480] * len(files),
                "mtimes_ns": [st.st_mtime_ns for st in sts],
            }
        ]
    }


def copies(picture, tmp_path, *names: str) -> list:
    """Copies of the module's pictures (each test removes its own)."""
    out = []
    for n in names:
        dest = tmp_path / n
        dest.write_bytes((picture / n).read_bytes())
        out.append(dest)
    return out


def _trashed() -> list[str]:
    files = os.path.join(home_trash(), b"files")
    return sorted(os.fsdecode(n) for n in os.listdir(files)) if os.path.isdir(files) else []


def test_marked_pictures_go_to_the_trash_and_nothing_else(library, picture, tmp_path):
    files = copies(picture, tmp_path, "original.jpg", "quality.jpg", "copy.webp", "brighter.jpg")
    (group,) = groups_of(_output_for(files))
    mark_all_but(group, 0)
    group[3].marked = False
    info = run_job(library, "delete", {"pictures": removal_targets([group])})
    assert info.status.value == "completed", info.error
    assert [o["outcome"] for o in info.output["outcomes"]] == ["trashed", "trashed"]
    assert _trashed() == ["copy.webp", "quality.jpg"]
    assert [f.exists() for f in files] == [True, False, False, True]


def test_a_picture_changed_or_whose_keeper_changed_since_the_search_is_kept(library, picture, tmp_path):
    files = copies(picture, tmp_path, "original.jpg", "quality.jpg", "copy.webp")
    (group,) = groups_of(_output_for(files))
    mark_all_but(group, 0)
    with open(files[1], "ab") as f:
        f.write(b"edited after the search")
    info = run_job(library, "delete", {"pictures": removal_targets([group])})
    reasons = {os.path.basename(o["path"]): (o["outcome"], o["reason"]) for o in info.output["outcomes"]}
    assert reasons["quality.jpg"] == ("skipped", "changed since the search (size or modification time); kept")
    assert reasons["copy.webp"][0] == "trashed"
    assert _trashed() == ["copy.webp"]

    # the kept picture is replaced after the search: nothing of its group goes
    (group,) = groups_of(_output_for(files[:2]))
    mark_all_but(group, 0)
    files[0].write_bytes(b"another picture now")
    info = run_job(library, "delete", {"pictures": removal_targets([group])})
    ((outcome, reason),) = [(o["outcome"], o["reason"]) for o in info.output["outcomes"]]
    assert outcome == "skipped" and reason.startswith("no kept picture is left as the search saw it")
    assert files[1].exists()


def test_a_picture_gone_already_is_reported_as_such(library, picture, tmp_path):
    files = copies(picture, tmp_path, "original.jpg", "quality.jpg")
    (group,) = groups_of(_output_for(files))
    mark_all_but(group, 0)
    files[1].unlink()
    info = run_job(library, "delete", {"pictures": removal_targets([group])})
    assert [(o["outcome"], o["reason"]) for o in info.output["outcomes"]] == [("skipped", ALREADY_GONE)]


def test_pictures_with_other_targets_are_refused(library, picture, tmp_path):
    files = copies(picture, tmp_path, "original.jpg", "quality.jpg", "brighter.jpg")
    (group,) = groups_of(_output_for(files[:2]))
    mark_all_but(group, 0)
    info = run_job(library, "delete", {"pictures": removal_targets([group]), "targets": [str(files[2])]})
    assert info.status.value == "failed"
    assert "other targets were given too" in info.error
    assert all(f.exists() for f in files) and _trashed() == []
