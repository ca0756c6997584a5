"""The systemd user unit runs ``sd-desktop serve`` and stops it the way that pauses its jobs."""

from __future__ import annotations

import configparser
import shutil
import subprocess

import pytest

from tests.conftest import REPO

UNIT = REPO / "packaging" / "systemd" / "sd-desktop.service"


def test_the_unit_serves_and_stops_with_sigterm():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # systemd's keys are case-sensitive
    unit.read(UNIT)
    service = unit["Service"]
    assert service["ExecStart"] == "%h/.local/bin/sd-desktop serve"
    assert (service["KillSignal"], service["Restart"]) == ("SIGTERM", "on-failure")
    assert unit["Install"]["WantedBy"] == "default.target"  # a user unit: started with the user's session


def test_systemd_accepts_the_unit(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("no systemd-analyze here")
    # the same unit with a command that exists, so only the unit's own syntax is judged
    text = UNIT.read_text().replace("%h/.local/bin/sd-desktop serve", f"{shutil.which('true')} serve")
    (tmp_path / "sd-desktop.service").write_text(text)
    res = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "sd-desktop.service")], capture_output=True, text=True
    )
    assert res.returncode == 0 and res.stderr == "", res.stderr
