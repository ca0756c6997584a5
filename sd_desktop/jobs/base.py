"""The Job base class, job statuses and the registry that rebuilds stored jobs by name.

The registry knows the classes that registered (``@register``) and nothing else: the engine never
imports job modules itself. The entry points (the CLI's ``main``, the window's start-up, the tests)
call ``sd_desktop.ops.load_all()`` once, before any job is queued or rebuilt.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

from sd_desktop.enums import ACTIVE, FINISHED, JobStatus
from sd_desktop.jobs.errors import JobStateError
from sd_desktop.jobs.schema import dataclass_schema

__all__ = ["ACTIVE", "FINISHED", "EmptyState", "Job", "JobStatus"]

if TYPE_CHECKING:
    from sd_desktop.jobs.context import JobContext


@dataclasses.dataclass
class EmptyState:
    """For jobs with nothing to resume from."""


class Job:
    """A unit of background work that can be paused, resumed, cancelled and survive a crash.

    Subclasses set ``NAME``, ``VERSION``, ``RESUMABLE``, ``DESCRIPTION`` and the dataclasses
    ``Config``, ``State`` and ``Output``, and implement ``run``. The state is what a checkpoint
    stores: keep it a cursor (a frontier, an index), never the whole work list.

    On pause the state persisted is the one of the last ``ctx.checkpoint()``; ``on_pause`` may
    checkpoint once more. ``on_cancel`` must remove half-done artefacts (temporary files).

    An output with ``items_done`` and ``items_failed`` counts decides the final status: a run that
    failed every item it acted on is stored as failed, outcomes and all (``jobs.outcome``).
    """

    NAME: ClassVar[str]
    VERSION: ClassVar[int] = 1
    RESUMABLE: ClassVar[bool] = True
    DESCRIPTION: ClassVar[str] = ""
    # internal work the engine queues itself (the live index's small updates): kept out of the
    # History and out of ``job_class_for``, which front ends use to submit what people asked for
    HIDDEN: ClassVar[bool] = False
    Config: ClassVar[type]
    State: ClassVar[type] = EmptyState
    Output: ClassVar[type]

    def __init__(self, config: Any, state: Any | None = None):
        self.config = config
        self.state = state if state is not None else self.State()

    @classmethod
    def schema(cls) -> dict:
        """JSON schema of this job's config."""
        schema = dataclass_schema(cls.Config)
        schema["title"] = cls.NAME
        if cls.DESCRIPTION:
            schema["description"] = cls.DESCRIPTION
        return schema

    def target(self) -> str:
        """What this job works on, in a few words for people (shown in job lists)."""
        return ""

    def destructive(self) -> bool:
        """Whether it removes or replaces files (delete, move, an overwriting copy). A manager that
        runs the queue on its own (the app) never resumes such a job after a crash by itself: it
        waits, paused, until someone resumes or cancels it."""
        return False

    def recorded(self) -> bool:
        """Whether it stays in the job history once it completes. Upkeep nobody asked for (the
        window bringing the folder it shows up to date) is forgotten when it completes."""
        return True

    async def run(self, ctx: JobContext) -> Any:
        raise NotImplementedError

    async def on_pause(self, ctx: JobContext) -> None:
        """Called after ``run`` unwound for a pause, before the job is stored as paused."""

    async def on_resume(self, ctx: JobContext) -> None:
        """Called before ``run`` when the job continues from a stored state (pause or crash)."""

    async def on_cancel(self, ctx: JobContext) -> None:
        """Called when the job is cancelled (running or paused): remove half-done artefacts."""


_REGISTRY: dict[str, type[Job]] = {}


def register(cls: type[Job]) -> type[Job]:
    """Class decorator: make a job rebuildable from its stored NAME."""
    name = getattr(cls, "NAME", None)
    if not name:
        raise TypeError(f"{cls.__name__} has no NAME")
    other = _REGISTRY.get(name)
    if other is not None and other.__qualname__ != cls.__qualname__:
        raise TypeError(f"job name {name!r} is taken by {other.__qualname__}")
    for attr in ("Config", "Output"):
        if not dataclasses.is_dataclass(getattr(cls, attr, None)):
            raise TypeError(f"{cls.__name__}.{attr} must be a dataclass")
    _REGISTRY[name] = cls
    return cls


def job_class(name: str) -> type[Job]:
    """The registered class for ``name``; ``JobStateError`` for a name no loaded module registered
    (a stored job of another build, or of a plug-in not installed: that job alone fails with it)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise JobStateError(f"unknown job type {name!r}: this build of sd_desktop cannot run it") from None


def job_class_for(config: Any) -> type[Job]:
    """The registered job whose ``Config`` is the type of ``config`` (a ``DuplicateConfig`` gives
    the duplicate detection job): front ends build a typed config and never spell a job's name."""
    kind = type(config)
    matches = [cls for cls in registered().values() if cls.Config is kind and not cls.HIDDEN]
    if len(matches) != 1:
        why = "no job takes" if not matches else f"{len(matches)} jobs take"
        raise JobStateError(f"{why} a {kind.__name__} as its config: submit it by job name")
    return matches[0]


def registered() -> dict[str, type[Job]]:
    """Every registered job class by name."""
    return dict(_REGISTRY)


def hidden_names() -> list[str]:
    """The names of the registered jobs that are internal (``Job.HIDDEN``)."""
    return sorted(name for name, cls in _REGISTRY.items() if cls.HIDDEN)


def is_hidden(name: str) -> bool:
    """Whether jobs named ``name`` are internal (an unknown name is not)."""
    cls = _REGISTRY.get(name)
    return cls is not None and cls.HIDDEN
