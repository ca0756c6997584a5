"""The fork server preloads the helpers' modules the process has imported: a command that runs only
a duplicate search starts its walkers from a server without Pillow (a sixth of a cold start); the
app, which loads the thumbnail job, keeps its workers preloaded. Checked on the real server: the
shared objects mapped into the parent of a walker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, cli_env

PROBE = """
import sys
if sys.argv[1] == "thumbnails":
    import sd_desktop.ops.media.thumbnail.workers
from sd_desktop.ops.files import listing_processes
assert listing_processes.prestart(1)
[walker] = listing_processes.idle_pids()
with open(f"/proc/{walker}/stat") as f:
    server = int(f.read().rsplit(")", 1)[1].split()[1])
with open(f"/proc/{server}/maps") as f:
    print("PIL/_imaging" in f.read())
listing_processes.shutdown()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server is Linux only")
@pytest.mark.parametrize("loaded, pillow", [("walker", False), ("thumbnails", True)])
def test_the_server_preloads_what_the_process_loaded(loaded, pillow):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, loaded], capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{pillow}\n"
