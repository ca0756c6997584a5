"""A text file the user asked for (an export of duplicate or validation results), written through
the volume's backend: under a temporary name beside it, flushed, then renamed over ``dest``, so a
stopped export never leaves half a file under the name asked for."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sd_desktop.volumes.local_writes import LOCAL_WRITES, WritableVolume


def write_text_atomically(dest: Path, write: Callable[[TextIO], None], vol: WritableVolume = LOCAL_WRITES) -> None:
    """Call ``write`` with a UTF-8 text file that becomes ``dest`` (replacing one there) once complete."""
    tmp = os.fsencode(dest.with_name(f".{dest.name}.sd-tmp"))
    final = os.fsencode(dest)
    vol.unlink(tmp, missing_ok=True)  # left by an export that was stopped
    fd = vol.create_temp(tmp, 0o666)  # the umask decides, as for any file the user saves
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
            f.flush()
            vol.fsync(f.fileno())  # the rename below must not publish an empty file after a crash
        vol.commit(tmp, final, replace=True)
    except BaseException:
        vol.unlink(tmp, missing_ok=True)
        raise
