"""``sd-desktop thumbnails`` as a real subprocess: output keys, ``info`` sidecars, kill -9 and resume,
and a real tree of PNGs from /usr/share."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from sd_desktop.library import Library
from tests.conftest import REPO, cli_env
from tests.thumbnails._rows import index_tree, picture


def _index(library_dir: Path, root: Path) -> dict[str, int]:
    lib = Library.open(library_dir)
    try:
        return index_tree(lib, root)
    finally:
        lib.close()


def test_cli_thumbnails_and_info_show_the_sidecars(run_cli, library_dir, pictures):
    _index(library_dir, pictures)
    res = run_cli("thumbnails", pictures, "--json")
    assert res.returncode == 4, res.stderr  # completed with errors: the broken JPEG has none (FAULTS 20)
    out = res.result["output"]
    assert res.result["status"] == "completed_with_errors"
    for key in ("generated", "skipped", "failed", "already_present", "previously_failed", "bytes", "sidecar_bytes"):
        assert isinstance(out[key], int), key
    assert (out["generated"], out["already_present"], out["skipped"], out["failed"]) == (6, 1, 1, 1)
    generating = [x for x in res.lines if x.get("event") == "progress" and x.get("phase") == "generating"]
    assert generating and generating[-1]["done"] == generating[-1]["total"] == 9  # images and bytes
    assert (
        generating[-1]["bytes_done"]
        == generating[-1]["bytes_total"]
        == sum(p.stat().st_size for p in pictures.rglob("*") if p.is_file())
    )

    info = run_cli("info", pictures / "sub" / "tall.jpg", "--json")
    assert info.returncode == 0, info.stderr
    sidecars = {s["variant"]: s for s in info.result["output"]["sidecars"]}
    assert set(sidecars) == {"256", "512"}
    assert (sidecars["512"]["width"], sidecars["512"]["height"]) == (288, 512)
    with Image.open(sidecars["256"]["path"]) as im:
        assert im.size == (144, 256)

    again = run_cli("thumbnails", "--json")  # no PATH: the whole library
    assert again.returncode == 0
    assert again.result["output"]["already_present"] == 7 and again.result["output"]["generated"] == 0

    text = run_cli("thumbnails", pictures, "--regenerate")
    assert text.returncode == 4  # the broken JPEG fails again
    assert "6 made" in text.stdout


def test_cli_usage_errors(run_cli, library_dir, pictures, tmp_path):
    _index(library_dir, pictures)
    res = run_cli("thumbnails", tmp_path / "missing")
    assert res.returncode == 2 and "no such file" in res.stderr


def test_kill_9_then_resume_equals_an_uninterrupted_run(library_dir, tmp_path):
    root = tmp_path / "photos"
    for i in range(40):
        picture(root / f"p{i:02}.png", (1400, 1000), seed=i, compress_level=1)
    _index(library_dir, root)
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "thumbnails", str(root), "--json"]
    args = ["--batch-size", "2", "--workers", "1"]
    proc = subprocess.Popen(
        cmd + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=REPO
    )
    killed_at = None
    for line in proc.stdout:
        event = json.loads(line)
        assert event.get("event") != "result", "the job finished before it could be killed"
        if event.get("event") == "progress" and event.get("done", 0) >= 4:
            killed_at = event["done"]
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(30)
    proc.stdout.close()
    proc.stderr.close()
    assert killed_at is not None and proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(library_dir / "library.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT status FROM job").fetchall() == [("running",)]
    conn.close()
    for p in (library_dir / "sidecars").rglob("*.webp"):  # nothing half-written under a final name
        with Image.open(p) as im:
            im.load()

    resumed = subprocess.run(cmd + args, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout.splitlines()[-1])
    started = [json.loads(x) for x in resumed.stdout.splitlines() if '"started"' in x]
    assert started and started[0]["job_id"] == result["job_id"] == 1, "the interrupted job itself continued"
    out = result["output"]
    assert out["generated"] == 40 and out["already_present"] == 0 and out["failed"] == 0

    conn = sqlite3.connect(library_dir / "library.db")
    rows = conn.execute("SELECT variant, width, height FROM sidecar").fetchall()
    assert sorted(rows) == sorted([("256", 256, 183)] * 40 + [("512", 512, 366)] * 40)
    conn.close()
    assert not [p for p in (library_dir / "sidecars").rglob("*") if ".tmp-" in p.name]
    files = [p for p in (library_dir / "sidecars").rglob("*.webp")]
    assert len(files) == 80


def test_png_files_under_usr_share_go_through_without_a_crash(run_cli, library_dir, tmp_path):
    found = []
    for base in ("/usr/share/icons", "/usr/share/pixmaps", "/usr/share"):
        for dirpath, _dirs, files in os.walk(base):
            found += [os.path.join(dirpath, f) for f in files if f.lower().endswith(".png")]
            if len(found) > 3000:
                break
        if found:
            break
    if not found:
        pytest.skip("no PNG files under /usr/share on this machine")
    sample = sorted(random.Random(6).sample(sorted(set(found)), min(120, len(set(found)))))
    root = tmp_path / "usr_share_pngs"
    root.mkdir()
    for i, src in enumerate(sample):
        try:
            shutil.copyfile(src, root / f"{i:03}_{os.path.basename(src)}")
        except OSError:
            pass
    copied = len(list(root.iterdir()))
    _index(library_dir, root)
    res = run_cli("thumbnails", root, "--json", timeout=300)
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    assert out["generated"] + out["already_present"] + out["failed"] + out["skipped"] == copied
    assert out["generated"] > 0
