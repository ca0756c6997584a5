"""Download one file of an SFTP volume with OpenSSH's own ``sftp`` client, resuming a partial file.

asyncssh does the SSH layer in Python: reading 1 GiB from a local sshd costs it 4.5-10 s of CPU
(per 32 KiB packet: decryption call, channel window, SFTP reply handling) where OpenSSH's client
needs 2.2 s, so a large download through it ran at 0.44-0.58 of ``scp``'s throughput on a shared
2-core machine; the ``sftp`` binary runs at ``scp``'s. It is used only where it can log in the way
the volume does without asking anything: a key without a passphrase (``BatchMode``), the same
host-key policy (``known_hosts`` = ``accept``, a file, or ``~/.ssh/known_hosts``) and the volume's
timeout, and on Linux, where the child can be told to die with its parent (a job killed with
``kill -9`` must not leave a writer on its partial file). Every other volume reads through asyncssh.

The child appends to the partial file from its size (``reget``); the caller polls that size for
progress and confirms offsets itself (fsync, then commit): ``sftp`` keeps at most ``REQUESTS``
reads of ``BLOCK`` bytes in flight and writes each reply at its offset, so every byte below the
file's size minus ``IN_FLIGHT`` is written (the requests below the lowest one in flight are done).
"""

from __future__ import annotations

import asyncio
import ctypes
import math
import os
import shutil
import signal
import sys
from collections.abc import Callable

from sd_desktop.volumes.remote import VolumeSpec

MIB = 1024 * 1024
# below this size a file reads through asyncssh: the client's start (a process, a key exchange and
# a login, ~0.3 s measured on the shared machine) eats what its speed saves (it reads about twice
# as fast as asyncssh here, so the start pays off from ~80 MB)
MIN_SIZE = 128 * MIB
BLOCK = 261120  # bytes per read request: OpenSSH's sftp-server allows up to 256 KiB - 1 KiB (limits@openssh.com)
# AES-GCM first, as asyncssh is told (``remote._cipher_preference``): with AES instructions it costs
# the client 1.7 s of CPU per GiB against 2.4 s for OpenSSH's first choice ChaCha20-Poly1305; the
# rest are OpenSSH's other defaults
CIPHERS = "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"
REQUESTS = 32  # read requests in flight (measured: as fast as 64 with half the bytes unconfirmed)
IN_FLIGHT = BLOCK * REQUESTS  # bytes past the written prefix that the partial file may hold

_PR_SET_PDEATHSIG = 1


def usable(spec: VolumeSpec) -> bool:
    """Whether ``spec`` can be read with the ``sftp`` binary (see the module docstring)."""
    o = spec.options
    return (
        spec.scheme == "sftp"
        and sys.platform.startswith("linux")
        and bool(o.get("key"))
        and not o.get("passphrase")
        and not o.get("password")
        and shutil.which("sftp") is not None
    )


def quote(text: bytes) -> bytes:
    """``text`` as one argument of an ``sftp`` batch command: in double quotes, where ``sftp`` takes
    glob characters literally, with ``\\`` and ``"`` escaped. A line break cannot be written."""
    if b"\n" in text or b"\r" in text or b"\0" in text:
        raise ValueError("a line break or NUL in a path")
    return b'"' + text.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def argv(spec: VolumeSpec) -> list[str]:
    """The ``sftp`` command for ``spec``: no config file, no prompt, the volume's host-key policy
    and timeout (the connection, and a server that stops answering: 3 keep-alives unanswered)."""
    o = spec.options
    timeout = max(1, math.ceil(spec.timeout))
    if o.get("known_hosts") == "accept":
        hosts = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    else:
        known = o.get("known_hosts") or os.path.expanduser("~/.ssh/known_hosts")
        hosts = ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known}"]
        hosts += ["-o", "GlobalKnownHostsFile=/dev/null"]  # asyncssh reads no system-wide file either
    host = o.get("host", "")
    host = f"[{host}]" if ":" in host else host  # an IPv6 address: sftp reads HOST:PATH otherwise
    target = f"{o['user']}@{host}" if o.get("user") else host
    return [
        shutil.which("sftp") or "sftp",  # no -q: it silences ssh's errors too (the one line we give)
        "-F",
        "none",
        "-B",
        str(BLOCK),
        "-R",
        str(REQUESTS),
        "-P",
        str(int(o.get("port", 22))),
        "-i",
        o["key"],
        "-c",
        CIPHERS,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "LogLevel=ERROR",
        "-o",
        f"ConnectTimeout={timeout}",
        "-o",
        f"ServerAliveInterval={max(1, math.ceil(timeout / 3))}",
        "-o",
        "ServerAliveCountMax=3",
        *hosts,
        "-b",
        "-",
        target,
    ]


def _die_with(parent: int) -> Callable[[], None]:
    """What the child runs between fork and exec: SIGKILL when the job's process dies, however it
    dies. ``prctl`` is looked up here, in the parent: loading a library in a child forked from a
    process with threads may wait forever on a lock another thread held at the fork."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def child() -> None:
        if prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
            os._exit(127)  # no such guard, or the parent died before it was set

    return child


async def start(spec: VolumeSpec, remote: str, local: bytes) -> asyncio.subprocess.Process:
    """Start ``sftp`` resuming the download of ``remote`` (absolute, or relative to the login
    folder) into ``local`` from its size. Raises ``ValueError`` for a path a batch line cannot hold."""
    line = b"reget " + quote(os.fsencode(remote)) + b" " + quote(local) + b"\n"
    proc = await asyncio.create_subprocess_exec(
        *argv(spec),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_die_with(os.getpid()),
    )
    assert proc.stdin is not None
    proc.stdin.write(line)
    proc.stdin.close()
    return proc


def reason(stderr: bytes, returncode: int | None) -> str:
    """One line for a failed ``sftp``: its last message that says why (``Permission denied``,
    ``Host key verification failed``; not the ``Connection closed`` that follows them, not the
    ``@@@`` banners), or its exit status."""
    lines = [" ".join(x.split()) for x in stderr.decode(errors="replace").splitlines()]
    said = [x for x in lines if x and not x.startswith("@") and x != "Connection closed"]
    return said[-1] if said else f"sftp exited with status {returncode}"
