"""The part of ``JobManager`` a command uses, answered by the engine that serves the library.

A command runs its own code (arguments, checks, printing, exit codes) and drives its job through
this proxy: ``enqueue``, ``resume``, ``pause``, ``cancel`` and ``wait_tree`` go to the engine;
``info`` and ``active_id`` read the library directly (WAL: each engine commit is visible at once).
Its ``events`` bus carries the events of the command's own jobs and their follow-ups only, as a
``JobManager(run_queued=False)`` of its own would; ``running_ids`` are those of them not yet paused
or finished, so a signal pauses this command's jobs and no others of the engine.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
from typing import Any

from sd_desktop.engine import protocol
from sd_desktop.engine.client import EngineLost, RemoteLibrary, raise_remote
from sd_desktop.enums import EventKind
from sd_desktop.jobs import JobEvent, codec
from sd_desktop.jobs.events import EventBus
from sd_desktop.jobs.manager import JobInfo, _typed, config_key
from sd_desktop.library import jobstore

_ACTIVE = {"queued", "running"}


class RemoteManager:
    """A command's job manager, the jobs running in the engine (see the module's docstring)."""

    def __init__(self, library: RemoteLibrary):
        self.library = library
        self.events = EventBus()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._listen: asyncio.Task | None = None
        self._pending: dict[int, tuple[str, asyncio.Future]] = {}
        self._next_id = 0
        self._lost: EngineLost | None = None
        self._status: dict[int, str] = {}  # this command's jobs -> their last known status
        self._parents: dict[int, int | None] = {}
        self._strangers: collections.deque[JobEvent] = collections.deque(maxlen=512)

    async def start(self) -> list[int]:
        """Connect and follow job events (the engine did the crash recovery when it started)."""
        path = self.library.address
        try:
            self._reader, self._writer = await asyncio.open_unix_connection(os.fspath(path), limit=protocol.MAX_LINE)
            self._writer.write(protocol.encode(protocol.hello(os.getpid(), command=self.library.command)))
            answer = protocol.decode(await self._reader.readline())
            if "error" in answer:
                raise EngineLost(self.library.engine_pid)
            protocol.check_hello(answer)
        except (OSError, protocol.ProtocolError) as exc:
            raise EngineLost(self.library.engine_pid) from exc
        self._listen = asyncio.create_task(self._read_all(), name="sd-engine-client")
        await self._call("subscribe")
        return []

    async def shutdown(self, grace: float = 0.0) -> None:
        """Hang up. The engine goes on: a job this command did not pause keeps running there."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
        if self._listen is not None:
            self._listen.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listen

    # -- the JobManager calls commands make ---------------------------------------------------
    async def enqueue(self, name: Any, config: Any, *, priority: int = 0, parent_id: int | None = None) -> int:
        cls, config = _typed(name, config)  # checked here: a bad config is this command's usage error
        return int(await self._call("enqueue", cls.NAME, codec.pack(config), priority, parent_id))

    async def resume(self, job_id: int) -> None:
        self._own(job_id)  # before the call: its "resumed" event comes before the reply
        await self._call("resume", job_id)

    async def pause(self, job_id: int) -> None:
        await self._call("pause", job_id)

    async def cancel(self, job_id: int) -> None:
        await self._call("cancel", job_id)

    async def clear_history(self, keep_last_of: tuple[str, ...] = ()) -> int:
        return int(await self._call("clear_history", list(keep_last_of)))

    async def wait_tree(self, job_id: int) -> JobInfo:
        await self._call("wait_tree", job_id)
        info = await self.info(job_id)
        if info is None:
            raise KeyError(job_id)
        return info

    async def info(self, job_id: int) -> JobInfo | None:
        record = self.library.read_sync(lambda c: jobstore.get(c, job_id))
        return JobInfo.from_record(record) if record is not None else None

    async def active_id(self, name: Any, config: Any) -> int | None:
        cls, config = _typed(name, config)
        key = config_key(cls.NAME, codec.pack(config))
        return self.library.read_sync(lambda c: jobstore.active_id(c, cls.NAME, key))

    def running_ids(self) -> list[int]:
        return [job_id for job_id, status in self._status.items() if status in _ACTIVE]

    # -- the connection ----------------------------------------------------------------------
    async def _call(self, name: str, *args: Any) -> Any:
        if self._lost is not None:
            raise self._lost
        assert self._writer is not None
        self._next_id += 1
        call_id = self._next_id
        fut = asyncio.get_running_loop().create_future()
        self._pending[call_id] = (name, fut)
        try:
            self._writer.write(protocol.encode({"id": call_id, "call": name, "args": list(args)}))
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            self._pending.pop(call_id, None)
            raise EngineLost(self.library.engine_pid) from exc
        return await fut

    async def _read_all(self) -> None:
        assert self._reader is not None
        try:
            while True:
                line = await self._reader.readline()
                if not line:
                    break
                message = protocol.decode(line)
                if "event" in message:
                    self._on_event(message["event"])
                elif "id" in message:
                    self._on_reply(message)
                else:  # the engine refused something: nothing more will come
                    break
        except (ConnectionError, OSError, protocol.ProtocolError, ValueError):
            pass
        finally:
            self._lost = EngineLost(self.library.engine_pid)
            for _name, fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(self._lost)
            self._pending.clear()

    def _on_reply(self, message: dict) -> None:
        name, fut = self._pending.pop(message["id"], (None, None))
        if fut is None or fut.done():
            return
        if "error" in message:
            try:
                raise_remote(message["error"])
            except Exception as exc:
                fut.set_exception(exc)
            return
        value = message.get("value")
        if name == "enqueue":
            self._own(int(value))
        fut.set_result(value)

    def _own(self, job_id: int) -> None:
        """``job_id`` is this command's: its events from now on, and those that came before."""
        self._status.setdefault(job_id, "queued")
        early = [e for e in self._strangers if e.job_id == job_id]
        for event in early:
            self._strangers.remove(event)
            self._publish(event)

    def _on_event(self, raw: dict) -> None:
        event = JobEvent(
            EventKind(raw["kind"]),
            raw["job_id"],
            raw["name"],
            raw["status"],
            target=raw.get("target") or "",
            progress=raw.get("progress"),
            error=raw.get("error"),
            error_count=raw.get("error_count") or 0,
        )
        if event.job_id in self._status or self._parent(event.job_id) in self._status:
            self._publish(event)
        else:
            self._strangers.append(event)  # perhaps the job an enqueue in flight will return

    def _publish(self, event: JobEvent) -> None:
        self._status[event.job_id] = event.status
        self.events.publish(event)

    def _parent(self, job_id: int) -> int | None:
        if job_id not in self._parents:
            record = self.library.read_sync(lambda c: jobstore.get(c, job_id, output=False))
            self._parents[job_id] = record.parent_id if record is not None else None
        return self._parents[job_id]
