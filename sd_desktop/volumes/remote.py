"""Remote volumes: the file calls a job makes on a NAS or a bucket (list, stat, ranged reads, write,
delete), each with a deadline, and one clear line when the far side is wrong or gone.

SFTP goes through asyncssh; every other service (S3, WebDAV, and whatever ``--scheme`` names)
through Apache OpenDAL's ``AsyncOperator``. Both are awaited, never called blocking: OpenDAL's
blocking calls hold the GIL until the server answers, so a hung server would freeze every thread of
the process, while an awaited call is dropped at its deadline (``asyncio.wait_for``) and leaves no
thread behind to block the shutdown. OpenDAL's Python binding has no timeout layer of its own.

Paths given to a backend are relative to the volume's root, ``/``-separated, without a leading
slash (``""`` is the root itself).
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
import re
import secrets as _random
import socket
import warnings
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 20.0  # seconds for the connection and for each request
STAT_CONCURRENCY = 16  # stat requests in flight while a listing is completed (services that list names only)

# status words of ``volume list`` (and the ``kind`` of a ``RemoteError`` that is about the server)
ONLINE, OFFLINE, AUTH_FAILED = "online", "offline", "auth_failed"
NOT_FOUND, FAILED = "not_found", "failed"


class RemoteError(OSError):
    """A remote call that failed; ``kind`` is offline, auth_failed, not_found or failed, and the
    message one line that says what is wrong and what to do."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class RemoteEntry:
    path: str  # relative to the volume's root, '/'-separated, no trailing slash
    is_dir: bool
    size: int
    mtime_ns: int | None
    # the service's version tag of the bytes (S3's and WebDAV's ETag; None over SFTP): a replacement
    # within the same second changes it, not the time; left out of equality, as the rest is the entry
    etag: str | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)


@dataclass(frozen=True)
class VolumeSpec:
    """What a backend needs to reach a volume: scheme, root and options (secrets included)."""

    name: str
    scheme: str
    root: str
    options: dict[str, str]
    timeout: float = DEFAULT_TIMEOUT

    @property
    def where(self) -> str:
        o = self.options
        if self.scheme == "sftp":
            return f"{o.get('host', '?')}:{o.get('port', 22)}"
        return o.get("endpoint") or o.get("bucket") or self.scheme


class RemoteBackend(Protocol):
    spec: VolumeSpec
    CONCURRENT_FILES: int  # files a job may write at once through one backend

    async def connect(self) -> None: ...
    async def list(self, path: str) -> list[RemoteEntry]: ...
    async def stat(self, path: str) -> RemoteEntry: ...
    async def read_ranges(self, path: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]: ...
    async def open_reader(self, path: str, offset: int, size: int) -> RemoteReader: ...
    async def write(self, path: str, data: bytes) -> None: ...
    async def delete(self, path: str) -> None: ...
    async def rmdir(self, path: str) -> None: ...
    async def upload(self, path: str, chunks: AsyncIterator[bytes], temp: str, replace: bool) -> None: ...
    async def server_copy(self, src: str, path: str, temp: str, replace: bool) -> bool: ...
    async def close(self) -> None: ...


class RemoteReader(Protocol):
    """Bytes ``[offset, offset + size)`` of one remote file in order, read ahead of the caller:
    ``read(n)`` gives the next ``n`` bytes (fewer where the file ends, ``b""`` past its end);
    ``close()`` drops what is read ahead. A missing file is a ``NOT_FOUND`` error."""

    async def read(self, want: int) -> bytes: ...
    async def close(self) -> None: ...


class TargetExists(RemoteError):
    """An upload that must not replace a file found one at its target (it was left as it is)."""


def join(*parts: str) -> str:
    """Relative remote path of ``parts`` ('' parts vanish)."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


async def deadline(spec: VolumeSpec, what: str, call: Awaitable[T]) -> T:
    """``call`` awaited for at most ``spec.timeout`` seconds; past that, an offline ``RemoteError``."""
    try:
        return await asyncio.wait_for(call, spec.timeout)
    except TimeoutError:
        raise RemoteError(
            OFFLINE,
            f"volume {spec.name}: no answer from {spec.where} within {spec.timeout:g}s ({what}); "
            "check that the server is up and reachable",
        ) from None


def _temp_name(path: str) -> str:
    head, tail = posixpath.split(path)
    return posixpath.join(head, f".{tail}.sd-part-{_random.token_hex(4)}")


# -- SFTP (asyncssh) ---------------------------------------------------------------------------------
def _drop_send_after_loss(record: logging.LogRecord) -> bool:
    # asyncio logs this once a transport has been written to five times after its connection was
    # lost, as asyncssh's parallel read requests do when a server dies mid-read; the RemoteError
    # that follows says what happened, in one line
    return record.getMessage() != "socket.send() raised exception."


def _asyncssh() -> Any:
    with warnings.catch_warnings():  # its DSA support warns on import; nothing here uses DSA
        warnings.simplefilter("ignore")
        import asyncssh

    logger = logging.getLogger("asyncio")
    if _drop_send_after_loss not in logger.filters:
        logger.addFilter(_drop_send_after_loss)
    return asyncssh


def _cipher_preference(asyncssh: Any) -> list[str]:
    """asyncssh's ciphers with AES-GCM first: its ChaCha20-Poly1305 (OpenSSH's first choice) costs
    more Python per packet (measured reading 512 MiB from a local sshd: 2.9 s of CPU and 50 MB/s
    with ChaCha20, 2.1 s and 73 MB/s with AES-128-GCM on a CPU with AES instructions)."""
    from asyncssh.encryption import get_default_encryption_algs

    default = [a.decode() for a in get_default_encryption_algs()]
    first = [a for a in ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com") if a in default]
    return first + [a for a in default if a not in first]


class SftpBackend:
    """SFTP through asyncssh: one SSH connection and SFTP session per backend."""

    CONCURRENT_FILES = 8  # small files a job may send at once over the one connection

    def __init__(self, spec: VolumeSpec):
        self.spec = spec
        self._conn: Any = None
        self._sftp: Any = None
        # folders seen or made on this connection: asyncssh's ``makedirs`` asks for every folder of
        # the absolute path from ``/`` (a mkdir and a stat each), ~20 round trips per file written
        self._folders: set[str] = set()
        self._connecting: asyncio.Lock | None = None

    def _abs(self, path: str) -> str:
        root = self.spec.root or "."
        return posixpath.join(root, path) if path else root

    def server_path(self, path: str) -> str:
        """``path`` as the server names it (for OpenSSH's own client, ``volumes/openssh.py``)."""
        return self._abs(path)

    async def connect(self) -> None:
        if self._sftp is not None:
            return
        # files in flight at once all start by connecting: one connection, made by the first
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._sftp is None:
                await self._connect()

    async def _connect(self) -> None:
        asyncssh = _asyncssh()
        o, spec = self.spec.options, self.spec
        kwargs: dict[str, Any] = {
            "host": o.get("host", ""),
            "port": int(o.get("port", 22)),
            "username": o.get("user") or None,
            "connect_timeout": spec.timeout,
            "encryption_algs": _cipher_preference(asyncssh),
        }
        if o.get("key"):
            kwargs["client_keys"] = [o["key"]]
            if o.get("passphrase"):
                kwargs["passphrase"] = o["passphrase"]
        if o.get("password"):
            kwargs["password"] = o["password"]
        if o.get("known_hosts") == "accept":  # trust any host key: for test servers and closed networks
            kwargs["known_hosts"] = None
        elif o.get("known_hosts"):
            kwargs["known_hosts"] = o["known_hosts"]
        try:
            self._conn = await deadline(spec, "connect", asyncssh.connect(**kwargs))
            self._sftp = await deadline(spec, "start SFTP", self._conn.start_sftp_client())
        except RemoteError:
            await self.close()
            raise
        except BaseException as exc:
            await self.close()
            raise self._error(exc, "connect") from None

    def _error(self, exc: BaseException, what: str, path: str = "") -> BaseException:
        asyncssh = _asyncssh()
        name, where = self.spec.name, self.spec.where
        if isinstance(exc, asyncssh.PermissionDenied):
            return RemoteError(
                AUTH_FAILED, f"volume {name}: {where} refused the login; check the user, key or password"
            )
        if isinstance(exc, asyncssh.HostKeyNotVerifiable):
            return RemoteError(
                AUTH_FAILED,
                f"volume {name}: the host key of {where} is not trusted; connect once with ssh to add it "
                "to known_hosts, or add the volume again with --option known_hosts=PATH",
            )
        if isinstance(exc, asyncssh.SFTPConnectionLost | asyncssh.SFTPNoConnection):
            # the server went away mid-call or before it (the session is closed): not this file's fault
            return RemoteError(OFFLINE, f"volume {name}: lost the connection to {where}: {_reason(exc)}")
        if isinstance(exc, asyncssh.SFTPNoSuchFile):
            return RemoteError(NOT_FOUND, f"volume {name}: no such file or folder: /{path}")
        if isinstance(exc, asyncssh.SFTPPermissionDenied):
            return RemoteError(FAILED, f"volume {name}: permission denied: /{path}")
        if isinstance(exc, asyncssh.SFTPError):
            return RemoteError(FAILED, f"volume {name}: {what} /{path}: {exc.reason}")
        if isinstance(exc, asyncssh.KeyEncryptionError) and what == "connect":
            # a wrong passphrase, or an OpenSSH-format key with one (asyncssh needs bcrypt for those)
            return RemoteError(
                AUTH_FAILED,
                f"volume {name}: cannot use the key {self.spec.options.get('key')}: {exc}; convert the key with "
                "ssh-keygen -p -m PEM -f KEY, or use a key without a passphrase",
            )
        if isinstance(exc, asyncssh.KeyImportError | FileNotFoundError) and what == "connect":
            return RemoteError(AUTH_FAILED, f"volume {name}: cannot use the key {self.spec.options.get('key')}: {exc}")
        if isinstance(exc, asyncssh.Error | OSError):
            return RemoteError(OFFLINE, f"volume {name}: cannot reach {where}: {_reason(exc)}")
        return exc

    async def _do(self, what: str, path: str, call_of: Any) -> Any:
        await self.connect()
        try:
            return await deadline(self.spec, f"{what} /{path}", call_of(self._sftp))
        except RemoteError:
            raise
        except Exception as exc:
            raise self._error(exc, what, path) from None

    async def list(self, path: str) -> list[RemoteEntry]:
        async def run(sftp: Any) -> list[Any]:
            return [n async for n in sftp.scandir(self._abs(path))]

        names = await self._do("list", path, run)
        return [self._entry(join(path, n.filename), n.attrs) for n in names if n.filename not in (".", "..")]

    def _entry(self, path: str, attrs: Any) -> RemoteEntry:
        asyncssh = _asyncssh()
        is_dir = attrs.type == asyncssh.FILEXFER_TYPE_DIRECTORY
        mtime = attrs.mtime
        mtime_ns = None if mtime is None else int(mtime) * 1_000_000_000 + int(attrs.mtime_ns or 0)
        return RemoteEntry(path=path, is_dir=is_dir, size=0 if is_dir else int(attrs.size or 0), mtime_ns=mtime_ns)

    async def stat(self, path: str) -> RemoteEntry:
        attrs = await self._do("stat", path, lambda sftp: sftp.stat(self._abs(path)))
        return self._entry(path, attrs)

    async def read_ranges(self, path: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        async def run(sftp: Any) -> list[bytes]:
            async with sftp.open(self._abs(path), "rb") as f:
                # every range asked for at once: one round trip for a content id's samples
                return list(await asyncio.gather(*(f.read(length, offset) for offset, length in ranges)))

        return await self._do("read", path, run)

    async def open_reader(self, path: str, offset: int, size: int) -> RemoteReader:
        """``[offset, offset + size)`` of ``path`` with up to ``sftp_pipeline.REQUESTS`` block reads in
        flight, continued while the caller writes what it got (``sftp_pipeline``)."""
        from sd_desktop.volumes import sftp_pipeline

        f = await self._do("open", path, lambda sftp: sftp.open(self._abs(path), "rb", block_size=0))
        block = sftp_pipeline.block_size(self._sftp)
        pipe = sftp_pipeline.ReadPipeline(f, offset, offset + size, self.spec.timeout, block)
        return _SftpReader(self, path, f, pipe)

    async def _folder(self, path: str) -> None:
        """Make the folder ``path`` (relative) and the ones above it, unless seen on this
        connection: one stat when it is there, else its parent first, then one mkdir."""
        if not path or path in self._folders:
            return
        sftp, asyncssh = self._sftp, _asyncssh()
        try:
            attrs = await deadline(self.spec, f"stat /{path}", sftp.stat(self._abs(path)))
        except asyncssh.SFTPNoSuchFile:
            parent = posixpath.dirname(path)
            if parent:
                await self._folder(parent)
            elif self.spec.root:  # the volume's root may be missing too: as makedirs made it before
                await deadline(self.spec, "mkdir /", sftp.makedirs(self._abs(""), exist_ok=True))
            try:
                await deadline(self.spec, f"mkdir /{path}", sftp.mkdir(self._abs(path)))
            except asyncssh.SFTPError:  # made meanwhile by someone else? only a folder will do
                if not await deadline(self.spec, f"stat /{path}", sftp.isdir(self._abs(path))):
                    raise
        else:
            if attrs.type != asyncssh.FILEXFER_TYPE_DIRECTORY:
                raise asyncssh.SFTPFailure(f"{self._abs(path)} is not a directory")
        self._folders.add(path)

    async def _open_new(self, path: str, temp: str) -> Any:
        """``temp`` opened for writing (truncated), its folder made first; the folder is looked
        for again when it vanished since this connection saw it."""
        sftp, folder = self._sftp, posixpath.dirname(path)
        await self._folder(folder)
        try:
            return await deadline(self.spec, f"open /{temp}", sftp.open(self._abs(temp), "wb", block_size=0))
        except _asyncssh().SFTPNoSuchFile:
            if not folder:
                raise
            self._folders.clear()  # which of its parents went too is not known
            await self._folder(folder)
            return await deadline(self.spec, f"open /{temp}", sftp.open(self._abs(temp), "wb", block_size=0))

    async def write(self, path: str, data: bytes) -> None:
        temp = _temp_name(path)

        async def run(sftp: Any) -> None:
            if posixpath.dirname(path):  # as OpenDAL does for the other services: make its folders
                await sftp.makedirs(self._abs(posixpath.dirname(path)), exist_ok=True)
            async with sftp.open(self._abs(temp), "wb") as f:
                await f.write(data)
            try:
                await sftp.posix_rename(self._abs(temp), self._abs(path))  # replaces the old file at once
            except BaseException:
                await sftp.remove(self._abs(temp))
                raise

        await self._do("write", path, run)

    async def delete(self, path: str) -> None:
        await self._do("delete", path, lambda sftp: sftp.remove(self._abs(path)))

    async def rmdir(self, path: str) -> None:
        await self._do("delete", path, lambda sftp: sftp.rmdir(self._abs(path)))

    async def upload(self, path: str, chunks: AsyncIterator[bytes], temp: str, replace: bool) -> None:
        """Stream ``chunks`` into ``temp`` (truncated first), then rename it to ``path``: with
        ``replace`` over a file there (POSIX rename), else a plain SFTP rename, which OpenSSH makes
        with link() and so refuses an existing target (``TargetExists``). Each write and the rename
        have their own deadline, so a large file never hits the timeout as a whole."""
        from sd_desktop.volumes import sftp_pipeline

        await self.connect()
        spec = self.spec
        try:
            f = await self._open_new(path, temp)
            # the writes go on while the next chunk is read (``sftp_pipeline``), each with its deadline
            pipe = sftp_pipeline.WritePipeline(f, 0, spec.timeout, sftp_pipeline.block_size(self._sftp))
            try:
                async for chunk in chunks:
                    await pipe.write(chunk)
                await pipe.drain()
            except BaseException:
                pipe.cancel()
                raise
            finally:
                await deadline(spec, f"close /{temp}", f.close())
            await self._finish(temp, path, replace)
        except RemoteError:
            raise
        except TimeoutError:
            raise RemoteError(
                OFFLINE,
                f"volume {spec.name}: no answer from {spec.where} within {spec.timeout:g}s (write /{path}); "
                "check that the server is up and reachable",
            ) from None
        except Exception as exc:
            raise self._error(exc, "write", path) from None

    async def _finish(self, temp: str, path: str, replace: bool) -> None:
        sftp, spec = self._sftp, self.spec
        try:
            if replace:
                await deadline(spec, f"rename /{path}", sftp.posix_rename(self._abs(temp), self._abs(path)))
            else:
                await deadline(spec, f"rename /{path}", sftp.rename(self._abs(temp), self._abs(path)))
        except _asyncssh().SFTPFailure:
            if replace:
                raise
            # OpenSSH answers a bare "failure" when link() finds the target there, and for other
            # reasons too: only a target that is there makes it a conflict
            there = await deadline(spec, f"stat /{path}", sftp.exists(self._abs(path)))
            await deadline(spec, f"delete /{temp}", sftp.remove(self._abs(temp)))
            if not there:
                raise
            raise TargetExists(FAILED, f"volume {spec.name}: /{path} exists already") from None

    async def server_copy(self, src: str, path: str, temp: str, replace: bool) -> bool:
        """Copy ``src`` to ``temp`` on the server and rename it to ``path`` as ``upload`` does, with
        OpenSSH's ``copy-data`` extension (9.0 and later; OpenDAL 0.45's sftp service has no copy).
        False when the server does not offer it."""
        await self.connect()
        if not self._sftp.supports_remote_copy:
            return False
        sftp, spec = self._sftp, self.spec

        async def copy() -> None:
            if posixpath.dirname(path):
                await sftp.makedirs(self._abs(posixpath.dirname(path)), exist_ok=True)
            async with sftp.open(self._abs(src), "rb") as fin, sftp.open(self._abs(temp), "wb") as fout:
                await sftp.remote_copy(fin, fout)

        try:
            # one request for the whole file: the server copies at disk speed, but give it time
            await asyncio.wait_for(copy(), max(spec.timeout, 600))
            await self._finish(temp, path, replace)
        except RemoteError:
            raise
        except TimeoutError:
            raise RemoteError(OFFLINE, f"volume {spec.name}: no answer from {spec.where} (copy /{src})") from None
        except Exception as exc:
            raise self._error(exc, "copy", src) from None
        return True

    async def close(self) -> None:
        if self._sftp is not None:
            self._sftp.exit()
            self._sftp = None
        if self._conn is not None:
            self._conn.close()
            try:
                await asyncio.wait_for(self._conn.wait_closed(), 2)
            except (TimeoutError, OSError):
                pass
            self._conn = None


class _SftpReader:
    """``SftpBackend.open_reader``'s reader: the pipeline's failures as one-line ``RemoteError``s."""

    def __init__(self, backend: SftpBackend, path: str, file: Any, pipe: Any):
        self._backend, self._path, self._file, self._pipe = backend, path, file, pipe

    async def read(self, want: int) -> bytes:
        spec = self._backend.spec
        try:
            return await self._pipe.read(want)
        except TimeoutError:
            raise RemoteError(
                OFFLINE,
                f"volume {spec.name}: no answer from {spec.where} within {spec.timeout:g}s (read /{self._path}); "
                "check that the server is up and reachable",
            ) from None
        except RemoteError:
            raise
        except Exception as exc:
            raise self._backend._error(exc, "read", self._path) from None

    async def close(self) -> None:
        """Drop the reads in flight and close the file (best effort: after a lost connection
        there is no file to close, and the reason was given already)."""
        self._pipe.cancel()
        try:
            await asyncio.wait_for(self._file.close(), min(self._backend.spec.timeout, 5))
        except (TimeoutError, OSError, _asyncssh().Error):
            pass


def _reason(exc: BaseException) -> str:
    # asyncio words a refused connection "Connect call failed ('127.0.0.1', 22)": say what it means
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused (is the server running, and is the port right?)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host name ({exc.strerror})"
    text = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


# -- every other service (OpenDAL) -------------------------------------------------------------------
class OpenDalBackend:
    """S3, WebDAV and OpenDAL's other services through its ``AsyncOperator``."""

    # one file at a time: wsgidav answered concurrent COPYs into a new folder with HTTP 500
    CONCURRENT_FILES = 1

    def __init__(self, spec: VolumeSpec):
        self.spec = spec
        self._op: Any = None

    async def connect(self) -> None:
        if self._op is not None:
            return
        import opendal

        options = {k: v for k, v in self.spec.options.items() if k != "known_hosts"}
        try:
            self._op = opendal.AsyncOperator(self.spec.scheme, root=self.spec.root or "/", **options)
        except Exception as exc:
            raise RemoteError(
                FAILED, f"volume {self.spec.name}: bad settings for {self.spec.scheme}: {_first(exc)}"
            ) from None

    def _error(self, exc: BaseException, what: str, path: str) -> BaseException:
        from opendal import exceptions as e

        name, where = self.spec.name, self.spec.where
        if isinstance(exc, e.NotFound):
            return RemoteError(NOT_FOUND, f"volume {name}: no such file or folder: /{path}")
        if isinstance(exc, e.PermissionDenied):
            return RemoteError(AUTH_FAILED, f"volume {name}: {where} refused access; check the keys or password")
        if isinstance(exc, e.ConfigInvalid):
            return RemoteError(FAILED, f"volume {name}: bad settings: {_first(exc)}")
        if isinstance(exc, e.Error):
            text = str(exc)
            status = _HTTP_STATUS.search(text)  # the service's HTTP answer, in the error's context
            code = int(status.group(1)) if status else None
            if code in (401, 403):
                return RemoteError(AUTH_FAILED, f"volume {name}: {where} refused access; check the keys or password")
            if code == 404:
                return RemoteError(NOT_FOUND, f"volume {name}: no such file or folder: /{path}")
            if code is not None:
                return RemoteError(FAILED, f"volume {name}: {what} /{path} failed: the server answered HTTP {code}")
            if "send http request" in text or "connect" in text.lower():
                return RemoteError(OFFLINE, f"volume {name}: cannot reach {where}")
            return RemoteError(FAILED, f"volume {name}: {what} /{path} failed: {_first(exc)}")
        return exc

    async def _do(self, what: str, path: str, call: Any) -> Any:
        await self.connect()
        try:
            return await deadline(self.spec, f"{what} /{path}", call(self._op))
        except RemoteError:
            raise
        except Exception as exc:
            raise self._error(exc, what, path) from None

    async def list(self, path: str) -> list[RemoteEntry]:
        prefix = path.strip("/") + "/" if path.strip("/") else ""

        async def names(op: Any) -> list[str]:
            # some services list the folder itself
            return [e.path async for e in await op.list(prefix) if e.path.rstrip("/") != prefix.rstrip("/")]

        listed = await self._do("list", path, names)
        # the 0.45 binding gives a listed entry's path only: its metadata is one stat each, asked
        # STAT_CONCURRENCY at a time so that their round trips overlap, each with its own deadline
        limit = asyncio.Semaphore(STAT_CONCURRENCY)

        async def stat(entry_path: str) -> RemoteEntry | None:
            async with limit:
                try:
                    meta = await self._do("stat", entry_path, lambda op: op.stat(entry_path))
                except RemoteError as exc:
                    if exc.kind == NOT_FOUND:  # gone since the listing
                        return None
                    raise
            return self._entry(entry_path, meta)

        return [e for e in await asyncio.gather(*(stat(p) for p in listed)) if e is not None]

    def _entry(self, path: str, meta: Any) -> RemoteEntry:
        is_dir = path.endswith("/") or bool(meta.mode.is_dir())
        modified = meta.last_modified
        mtime_ns = None if modified is None else int(modified.timestamp()) * 1_000_000_000
        return RemoteEntry(
            path=path.strip("/"),
            is_dir=is_dir,
            size=0 if is_dir else int(meta.content_length or 0),
            mtime_ns=mtime_ns,
            etag=meta.etag or None,
        )

    async def stat(self, path: str) -> RemoteEntry:
        try:
            meta = await self._do("stat", path, lambda op: op.stat(path))
        except RemoteError as exc:
            if exc.kind != NOT_FOUND or not path:
                raise
            meta = await self._do("stat", path, lambda op: op.stat(path + "/"))  # a folder's own name
            return self._entry(path + "/", meta)
        return self._entry(path, meta)

    async def read_ranges(self, path: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        async def run(op: Any) -> list[bytes]:
            f = await op.open(path, "rb")
            try:
                out = []
                for offset, length in ranges:
                    await f.seek(offset)
                    parts, got = [], 0
                    while got < length:  # a read returns what one response chunk held
                        chunk = await f.read(length - got)
                        if not chunk:
                            break
                        parts.append(chunk)
                        got += len(chunk)
                    out.append(b"".join(parts))
                return out
            finally:
                await f.close()

        return await self._do("read", path, run)

    async def open_reader(self, path: str, offset: int, size: int) -> RemoteReader:
        """``[offset, offset + size)`` of ``path`` in ranged reads, the next one asked for while the
        caller writes the last (OpenDAL's binding has no pipelined reads to hand)."""
        return _RangeReader(self, path, offset, offset + size)

    async def write(self, path: str, data: bytes) -> None:
        async def run(op: Any) -> None:
            if not op.capability().rename:  # an object store: a PUT shows the whole object or none
                await op.write(path, data)
                return
            temp = _temp_name(path)
            await op.write(temp, data)
            try:
                await op.rename(temp, path)
            except BaseException:
                await op.delete(temp)
                raise

        await self._do("write", path, run)

    async def delete(self, path: str) -> None:
        await self._do("delete", path, lambda op: op.delete(path))

    async def rmdir(self, path: str) -> None:
        await self._do("delete", path, lambda op: op.delete(path.strip("/") + "/"))

    async def upload(self, path: str, chunks: AsyncIterator[bytes], temp: str, replace: bool) -> None:
        """Stream ``chunks`` to ``temp`` and rename it to ``path`` where the service renames; on an
        object store straight to ``path`` (the object appears whole when the writer closes, or not
        at all). Without ``replace`` an existing target is looked for just before the rename (the
        services have no rename that refuses one: a small window remains)."""
        await self.connect()
        op, spec = self._op, self.spec
        renames = bool(op.capability().rename)
        name = temp if renames else path
        try:
            f = await deadline(spec, f"open /{path}", op.open(name, "wb"))
            try:
                async for chunk in chunks:
                    await deadline(spec, f"write /{path}", f.write(chunk))
            finally:
                await deadline(spec, f"close /{path}", f.close())
            if renames:
                if not replace and await self._exists(path):
                    await deadline(spec, f"delete /{temp}", op.delete(temp))
                    raise TargetExists(FAILED, f"volume {spec.name}: /{path} exists already")
                await deadline(spec, f"rename /{path}", op.rename(temp, path))
        except RemoteError:
            raise
        except Exception as exc:
            raise self._error(exc, "write", path) from None

    async def _exists(self, path: str) -> bool:
        try:
            await self.stat(path)
        except RemoteError as exc:
            if exc.kind == NOT_FOUND:
                return False
            raise
        return True

    async def server_copy(self, src: str, path: str, temp: str, replace: bool) -> bool:
        """Copy on the service itself (S3 CopyObject, WebDAV COPY) when it offers one: to ``temp``
        and renamed where the service renames, else straight to ``path``."""
        await self.connect()
        op = self._op
        if not op.capability().copy:
            return False
        if not op.capability().rename:
            await self._do("copy", src, lambda op: op.copy(src, path))
            return True
        await self._do("copy", src, lambda op: op.copy(src, temp))
        if not replace and await self._exists(path):
            await self._do("delete", temp, lambda op: op.delete(temp))
            raise TargetExists(FAILED, f"volume {self.spec.name}: /{path} exists already")
        await self._do("rename", path, lambda op: op.rename(temp, path))
        return True

    async def close(self) -> None:
        self._op = None


class _RangeReader:
    """``OpenDalBackend.open_reader``'s reader: one ranged read of the size asked for last kept
    ahead of the caller (the first one, of ``RANGE`` bytes, started at once). A short range ends
    the stream."""

    RANGE = 16 * 1024 * 1024  # bytes of the first range, read before the caller asks

    def __init__(self, backend: OpenDalBackend, path: str, offset: int, end: int):
        self._backend, self._path, self._next, self._end = backend, path, offset, end
        self._ahead: tuple[int, asyncio.Future[list[bytes]]] | None = None
        self._rest = b""  # bytes read but not yet given
        self._fetch(self.RANGE)

    def _fetch(self, length: int) -> None:
        n = min(length, self._end - self._next)
        if n <= 0:
            return
        self._ahead = (n, asyncio.ensure_future(self._backend.read_ranges(self._path, [(self._next, n)])))
        self._next += n

    async def read(self, want: int) -> bytes:
        while len(self._rest) < want and self._ahead is not None:
            (n, task), self._ahead = self._ahead, None
            (data,) = await task
            if len(data) < n:  # it ends here (it shrank since it was listed)
                self._next = self._end
            else:
                self._fetch(want)
            self._rest += data
        data, self._rest = self._rest[:want], self._rest[want:]
        return data

    async def close(self) -> None:
        if self._ahead is not None:
            task, self._ahead = self._ahead[1], None
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, RemoteError):
                pass


_HTTP_STATUS = re.compile(r"\bstatus: (\d{3})\b")


def _first(exc: BaseException) -> str:
    """The first line of an OpenDAL error (the rest is its context and a backtrace)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def backend_for(spec: VolumeSpec) -> RemoteBackend:
    return SftpBackend(spec) if spec.scheme == "sftp" else OpenDalBackend(spec)


async def probe(spec: VolumeSpec) -> tuple[str, str]:
    """``(status, detail)``: online, or offline / auth_failed with the one line that says why."""
    backend = backend_for(spec)
    try:
        await backend.connect()
        await backend.list("")
        return ONLINE, ""
    except RemoteError as exc:
        return (exc.kind if exc.kind in (OFFLINE, AUTH_FAILED) else OFFLINE), str(exc)
    finally:
        await backend.close()
