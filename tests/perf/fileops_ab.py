"""One ``file_copy`` job, timed, for A/B runs of two checkouts on a shared machine.

``python tests/perf/fileops_ab.py REPO VERIFY(0|1) SRC_FOLDER WORK_FOLDER`` copies every entry of
SRC_FOLDER into WORK_FOLDER/dest with the sd_desktop found in REPO and prints
"wall_seconds cpu_seconds" (the process's user+sys time: load-independent). Interleave the calls
for both checkouts, e.g. ``for i in 1 2 3; do for r in /work/main .; do python tests/perf/fileops_ab.py
$r 1 /tmp/big /tmp/ab; done; done``. Warm the page cache first (``cat SRC/* > /dev/null``).
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    repo, verify, src, work = argv[0], argv[1] == "1", Path(argv[2]), Path(argv[3])
    sys.path.insert(0, os.path.abspath(repo))
    from sd_desktop import ops
    from sd_desktop.jobs import JobManager
    from sd_desktop.library import Library
    from sd_desktop.ops.files.copy import CopyConfig

    ops.load_all()  # as the app's entry points do

    dest, lib_dir = work / "dest", work / "lib"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.rmtree(lib_dir, ignore_errors=True)
    dest.mkdir(parents=True)
    sources = [src / name for name in sorted(os.listdir(src))]
    subprocess.run(["sync"], check=True)

    async def once() -> tuple[float, float]:
        lib = Library.open(lib_dir)
        manager = JobManager(lib)
        await manager.start()
        try:
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            t = time.perf_counter()
            job_id = await manager.enqueue("file_copy", CopyConfig(sources=sources, destination=dest, verify=verify))
            info = await manager.wait(job_id)
            took = time.perf_counter() - t
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            assert info.status.value == "completed", info.error
            return took, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        finally:
            await manager.shutdown()
            lib.close()

    took, cpu = asyncio.run(once())
    print(f"{took:.3f} {cpu:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
