"""Validation of a folder or file on a remote volume (``validate NAME:/path``), through its backend.

The same checks and findings as the local validation (``checks.judge`` decides them, ``ValidationJob``
writes the output), reached another way: the tree is listed through the volume, each file's full
blake3 is made from ranged reads (``volumes.reading``), and the corruption probes run on a
temporary local copy of the files they know how to probe. A file whose entry has no integrity hash
yet gets the one just made stored with it (when its size and time are still the indexed ones), so
the next validation tells a file whose bytes changed under the same size and time: corruption.

Phases as locally: ``list`` stores the pairs (listed file, entry) as the work list in one
checkpoint; ``check`` takes them in order and commits its findings, the hashes to store and the
cursor together about once a second. A server that goes away or refuses us pauses the job (the
reason kept with it, exit 3); ``jobs resume`` continues at the first file not committed.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field

import msgpack

from sd_desktop.cas import ChangedWhileReading
from sd_desktop.jobs import JobContext, JobError, register
from sd_desktop.jobs.errors import JobPaused
from sd_desktop.library import entry_listing, remote_entries, volumes, worklist
from sd_desktop.ops.files.corruption import FAMILY_OF, check_file, extension_of
from sd_desktop.ops.files.validation.checks import ItemResult, Modes, issue, judge
from sd_desktop.ops.files.validation.config import ValidationMode, ValidationOutput, ValidationState, WorkKind
from sd_desktop.ops.files.validation.job import (
    FINDING_COLUMNS,
    ITEM_COLUMNS,
    ITEMS_PER_ROW,
    SEVERITY_ORDER,
    ValidationJob,
    _load_items,
)
from sd_desktop.ops.files.validation.listing import Item

# seconds of checking between checkpoints (one file each at least); tests set 0: one per file
COMMIT_EVERY = float(os.environ.get("SD_DESKTOP_REMOTE_VALIDATE_COMMIT_S", "1.0"))


@dataclass
class RemoteValidationConfig:
    targets: list[str] = field(default_factory=list)  # one NAME:/path on a registered volume
    mode: ValidationMode = ValidationMode.BASIC
    check_permissions: bool = False  # refused: a volume's permissions are the server's


@dataclass
class RemoteValidationState(ValidationState):
    hashes_recorded: int = 0
    pause_reason: str = ""  # why the server made it pause: shown with the paused job, dropped on resume


@dataclass
class _Where:
    volume: volumes.VolumeRow
    path: str  # the target on the volume, relative to its root
    location_id: int | None
    folder: str  # the location's folder on the volume ('' = its root)


def _locate(conn: sqlite3.Connection, target: str) -> _Where:
    address = volumes.split_address(target)
    volume = volumes.find_volume(conn, address[0]) if address else None
    if volume is None:
        raise JobError(f"{target} is not on a registered volume (see 'sd-desktop volume list')")
    path = address[1].strip("/")
    found = volumes.locate_remote(conn, volume.id, path)
    if found is None:
        return _Where(volume, path, None, "")
    return _Where(volume, path, found[0], volumes.remote_location(conn, found[0]).path)


@register
class RemoteValidationJob(ValidationJob):
    NAME = "remote_validation"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Check files on a remote volume for existence, integrity and corruption"
    Config = RemoteValidationConfig
    State = RemoteValidationState
    Output = ValidationOutput

    async def on_resume(self, ctx: JobContext) -> None:
        """The reason of the last pause was news then, not a problem of the finished run: drop it."""
        reason = self.state.pause_reason
        if reason:
            ctx.forget_errors(reason)
            self.state.pause_reason = ""

    async def run(self, ctx: JobContext) -> ValidationOutput:
        from sd_desktop.volumes.remote import AUTH_FAILED, OFFLINE, RemoteError, backend_for
        from sd_desktop.volumes.specs import spec_of

        if len(self.config.targets) != 1:
            raise JobError("a remote validation takes one NAME:/path")
        if self.config.check_permissions:
            raise JobError("--check-permissions is for local files: a volume's permissions are its server's")
        mode = ValidationMode(self.config.mode)
        modes = mode.modes(False)
        target = self.config.targets[0]
        where = await ctx.library.read(lambda c: _locate(c, target))
        backend = backend_for(spec_of(where.volume, ctx.library.folder))
        st = self.state
        try:
            if st.phase == "list":
                items = await self._list(ctx, backend, where, modes)
            else:
                items = await ctx.library.read(lambda c: _load_items(c, ctx.job_id, st.cursor))
            await self._check_all(ctx, backend, where, modes, items)
        except RemoteError as exc:
            if exc.kind not in (OFFLINE, AUTH_FAILED):
                raise JobError(str(exc)) from None
            # the server went away or refused us: what is committed stays, the rest waits for a resume
            st.pause_reason = str(exc)
            ctx.add_non_critical_error(target, st.pause_reason)
            await ctx.checkpoint()
            raise JobPaused() from None
        finally:
            await backend.close()
        return await ctx.library.read(lambda c: self._output(c, ctx.job_id, mode))

    # -- list: the files on the volume paired with their entries ----------------------------------
    async def _list(self, ctx: JobContext, backend, where: _Where, modes: Modes) -> list[Item]:
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        ctx.progress(phase="listing", message="listing files")
        name = where.volume.name
        try:
            top = await backend.stat(where.path) if where.path else None
        except RemoteError as exc:
            if exc.kind == NOT_FOUND:
                raise JobError(f"no such file or folder on volume {name}: /{where.path}") from None
            raise
        listed = []
        if top is not None and not top.is_dir:
            listed.append(top)
        else:
            folders = [where.path]
            while folders:
                await ctx.check_interrupt()
                folder = folders.pop()
                try:
                    children = await backend.list(folder)
                except RemoteError as exc:
                    if exc.kind != NOT_FOUND or folder == where.path:
                        raise
                    ctx.add_non_critical_error(f"{name}:/{folder}", "vanished while it was listed")
                    continue
                for child in sorted(children, key=lambda e: e.name, reverse=True):
                    (folders if child.is_dir else listed).append(child.path if child.is_dir else child)
                ctx.progress(phase="listing", done=len(listed), message=f"{name}:/{folder}")
        use_library = where.location_id is not None and (modes.basic or modes.integrity)
        cut = len(where.folder) + 1 if where.folder else 0
        entries: dict[bytes, list] = {}
        if use_library:
            below = where.path[cut:].encode() if where.path != where.folder else b""
            loc_id = where.location_id
            rows = await ctx.library.read(lambda c: entry_listing.files_below(c, loc_id, below))
            entries = {bytes(r[0]): list(r[1:]) for r in rows}
        items = []
        for e in listed:
            entry = entries.pop(e.path[cut:].encode(), None) if use_library else None
            items.append(Item(f"{name}:/{e.path}".encode(), entry, [e.size, e.mtime_ns, None, None, None], use_library))
        base = f"{name}:/{where.folder}".rstrip("/").encode() + b"/"
        for rel, entry in entries.items():  # in the library, not on the volume
            items.append(Item(base + rel, entry, None, True))
        if modes.integrity:  # a file gone may have moved: hash the new files of its size
            missing_sizes = {i.entry[0] for i in items if i.disk is None and i.entry[5]}
            for i in items:
                if i.indexed and i.entry is None and i.disk[0] in missing_sizes:
                    i.hash_for_move = True
        items.sort(key=lambda i: i.path)
        st, job_id = self.state, ctx.job_id
        st.phase, st.cursor, st.total = "check", 0, len(items)
        st.total_bytes = sum(i.disk[0] for i in items if i.disk)
        if not use_library and (modes.basic or modes.integrity):
            st.unindexed = [self.config.targets[0]]
        rows = [
            (n, WorkKind.ITEMS, msgpack.packb([i.pack() for i in items[start : start + ITEMS_PER_ROW]]))
            for n, start in enumerate(range(0, len(items), ITEMS_PER_ROW))
        ]
        await ctx.checkpoint(lambda c: worklist.replace(c, job_id, rows, ITEM_COLUMNS))
        return items

    # -- check: one file at a time, committed about once a second ---------------------------------
    async def _check_all(self, ctx: JobContext, backend, where: _Where, modes: Modes, items: list[Item]) -> None:
        st, job_id = self.state, ctx.job_id
        findings: list[tuple] = []
        hashes: list[tuple] = []
        cut = len(where.volume.name) + 2  # 'NAME:/'
        folder_cut = len(where.folder) + 1 if where.folder else 0
        loc_id = where.location_id

        async def commit() -> None:
            rows, recorded = list(findings), list(hashes)
            findings.clear()
            hashes.clear()

            def write(conn: sqlite3.Connection) -> None:
                worklist.add(conn, job_id, rows, FINDING_COLUMNS)
                if recorded and loc_id is not None:
                    remote_entries.record_integrity(conn, loc_id, recorded)

            await ctx.checkpoint(write)

        ctx.progress(phase="checking", done=st.cursor, total=st.total, bytes_total=st.total_bytes)
        last = time.monotonic()
        for item in items:
            await ctx.check_interrupt()
            res, digest = await self._check_one(ctx, backend, item, modes, item.path[cut:].decode())
            for found in res.issues:
                st.results += 1
                findings.append((-st.results, WorkKind.ISSUE, found["path"], 0, msgpack.packb(found)))
            for kind, record in ((WorkKind.MISSING, res.missing), (WorkKind.NEW, res.new)):
                if record is not None:
                    st.results += 1
                    findings.append((-st.results, kind, record["path"], record["size"], msgpack.packb(record)))
            st.files_checked += int(res.checked)
            st.not_hashed += int(res.not_hashed)
            st.bytes_read += res.bytes_read
            if digest is not None:
                rel = item.path[cut:].decode()[folder_cut:].encode()
                hashes.append((rel, item.entry[0], item.entry[1], digest))
                st.hashes_recorded += 1
            st.cursor += 1
            ctx.progress(
                phase="checking",
                done=st.cursor,
                total=st.total,
                bytes_done=st.bytes_read,
                message=item.path.decode("utf-8", "replace"),
            )
            if time.monotonic() - last >= COMMIT_EVERY:
                await commit()
                last = time.monotonic()
        await commit()

    async def _check_one(
        self, ctx: JobContext, backend, item: Item, modes: Modes, path: str
    ) -> tuple[ItemResult, str | None]:
        """The findings of one item, and the full hash to store with its entry (None: nothing to store)."""
        from sd_desktop.volumes.reading import full_hash
        from sd_desktop.volumes.remote import AUTH_FAILED, NOT_FOUND, OFFLINE, RemoteError

        res = ItemResult()
        entry = item.entry
        if item.disk is None:  # indexed, not listed: gone (or moved: the output pairs it by hash)
            res.missing = {"path": item.path, "size": entry[0], "hash": entry[5]}
            return res, None
        size, mtime_ns = item.disk[0], item.disk[1]
        res.checked = True
        wants_hash = modes.integrity and (entry is not None or (item.indexed and item.hash_for_move))
        probe = modes.corruption and FAMILY_OF.get(extension_of(item.path)) is not None
        digest = None
        if wants_hash or probe:
            spool = tempfile.TemporaryFile(prefix="sd-validate-") if probe else None
            try:
                try:
                    digest = await full_hash(
                        backend, path, size, spool.write if spool else None, between=ctx.check_interrupt
                    )
                except RemoteError as exc:
                    if exc.kind in (OFFLINE, AUTH_FAILED):
                        raise  # the server, not this file: the job pauses
                    if exc.kind != NOT_FOUND:  # this file only (permission denied...): said, the rest goes on
                        res.issues.append(issue(item.path, "unreadable", "error", str(exc), "check the file"))
                        return res, None
                    if entry is not None:
                        res.missing = {"path": item.path, "size": entry[0], "hash": entry[5]}
                    res.checked = False
                    return res, None
                except ChangedWhileReading as exc:
                    res.issues.append(issue(item.path, "unreadable", "warning", str(exc), "validate it again"))
                    return res, None
                res.bytes_read += size
                if spool is not None:
                    spool.flush()
                    found = await ctx.run_blocking(check_file, spool.fileno(), item.path, size)
                    for f in found:
                        res.issues.append(issue(item.path, f.type, f.severity, f.message, f.suggested_action))
            finally:
                if spool is not None:
                    spool.close()
        judge(item, modes, res, size, mtime_ns, digest)
        if res.not_hashed and digest is not None and (size, mtime_ns) == (entry[0], entry[1]):
            # no stored hash yet: this one is of the indexed bytes, the next validation compares with it
            res.not_hashed = False
            return res, digest
        return res, None

    def _output(self, conn: sqlite3.Connection, job_id: int, mode: ValidationMode) -> ValidationOutput:
        out = super()._output(conn, job_id, mode)
        recorded = self.state.hashes_recorded
        if recorded:
            out.issues.append(
                issue(
                    self.config.targets[0],
                    "hashes_recorded",
                    "info",
                    f"{recorded} files had no stored checksum: recorded now, the next validation compares with it",
                    "validate again later to find files whose bytes changed",
                )
            )
            out.issues.sort(key=lambda i: (SEVERITY_ORDER.get(i["severity"], 9), i["path"], i["type"]))
            out.counts["info"] = out.counts.get("info", 0) + 1
        return out
