"""Selection policies: which copies of each verified duplicate group to propose for removal.

Whatever the policy, at least one copy of every group is kept, files under a reference path are
never proposed, a file with other names (hard links) is not proposed either (removing one name
frees nothing), and only verified groups (``content``/``deep``) can be planned. The plan is a list
of guarded targets ``{"path", "size", "mtime_ns", "hash", "keepers": [paths]}``: the DeleteJob
re-checks every one of them at run time (same size, mtime and full hash; a keeper still there with
that hash) before removing anything.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from sd_desktop import paths


class Policy(StrEnum):
    KEEP_OLDEST = "keep-oldest"
    KEEP_NEWEST = "keep-newest"
    KEEP_SHORTEST_PATH = "keep-shortest-path"
    KEEP_REFERENCE = "keep-reference"
    KEEP_MATCHING = "keep-matching"


class Skip(StrEnum):
    """Why a plan left a group (or a file) alone: the ``why`` of ``Plan.skipped`` entries."""

    NO_KEEPER = "no-keeper"  # the policy chose no copy to keep (no match, no reference copy)
    ALL_KEPT = "all-kept"  # the policy keeps every copy
    HARD_LINKS = "hard-links"  # the file has other names: removing this one frees nothing


class SelectionError(ValueError):
    """A plan that cannot be made (unverified results, a missing pattern)."""


@dataclass
class Plan:
    targets: list[dict] = field(default_factory=list)  # the guarded deletion plan
    skipped: list[dict] = field(default_factory=list)  # groups left alone: paths, reason, why (a Skip)

    @property
    def paths(self) -> list[str]:
        return [t["path"] for t in self.targets]

    @property
    def bytes_freed(self) -> int:
        return sum(t["size"] for t in self.targets)


def _as_path(p: paths.PathLike) -> str:
    """Paths travel as ``str`` (``os.fsdecode``: undecodable bytes become surrogates and come back intact)."""
    return os.fsdecode(p)


def _files(group: dict) -> list[dict]:
    files = group.get("files")
    if files:
        return [dict(f, path=_as_path(f["path"])) for f in files]
    return [{"path": _as_path(p), "mtime_ns": 0, "reference": False} for p in group["paths"]]


def _in_any(path: str, roots: Iterable[paths.PathLike]) -> bool:
    raw = os.fsencode(path)
    return any(paths.is_within(raw, os.path.realpath(os.fsencode(r))) for r in roots)


def _matches(path: str, pattern: str) -> bool:
    text = os.fsdecode(path)
    return fnmatch.fnmatchcase(text, pattern) or fnmatch.fnmatchcase(os.path.basename(text), pattern)


def keepers_for(
    files: list[dict], policy: Policy, pattern: str | None = None, reference_paths: Iterable[paths.PathLike] = ()
) -> list[dict]:
    """The copies a policy keeps in one group (empty when the policy cannot decide for this group)."""
    refs = list(reference_paths)
    is_ref = [bool(f.get("reference")) or (bool(refs) and _in_any(f["path"], refs)) for f in files]

    def tie(f: dict) -> tuple:
        raw = os.fsencode(f["path"])
        return (len(raw), raw)

    if policy is Policy.KEEP_OLDEST:
        chosen = [min(files, key=lambda f: (f.get("mtime_ns", 0), *tie(f)))]
    elif policy is Policy.KEEP_NEWEST:
        chosen = [min(files, key=lambda f: (-f.get("mtime_ns", 0), *tie(f)))]
    elif policy is Policy.KEEP_SHORTEST_PATH:
        chosen = [min(files, key=tie)]
    elif policy is Policy.KEEP_REFERENCE:
        chosen = [f for f, r in zip(files, is_ref, strict=True) if r]
    elif policy is Policy.KEEP_MATCHING:
        if not pattern:
            raise SelectionError("keep-matching needs a pattern")
        chosen = [f for f in files if _matches(f["path"], pattern)]
    else:  # pragma: no cover - exhaustive
        raise SelectionError(f"unknown policy {policy!r}")
    if not chosen:
        return []
    # reference files are never proposed, whatever the policy picked
    kept = {id(f) for f in chosen} | {id(f) for f, r in zip(files, is_ref, strict=True) if r}
    return [f for f in files if id(f) in kept]


def plan_deletion(
    output: dict,
    policy: Policy | str,
    pattern: str | None = None,
    reference_paths: Iterable[paths.PathLike] | None = None,
) -> Plan:
    """The guarded deletion plan for a duplicate job's output under ``policy``."""
    policy = Policy(policy)
    if not output.get("verified", False):
        raise SelectionError(
            f"results of mode {output.get('mode')!r} are candidates, not verified duplicates: "
            "run the search in content or deep mode before removing anything"
        )
    refs = [
        _as_path(r) for r in (reference_paths if reference_paths is not None else output.get("reference_paths", []))
    ]
    plan = Plan()
    for group in output.get("groups", []):
        files = _files(group)
        if len(files) < 2 or not group.get("hash"):
            continue
        keepers = keepers_for(files, policy, pattern, refs)
        if not keepers:
            plan.skipped.append(
                {"paths": [f["path"] for f in files], "reason": f"{policy.value} kept no copy", "why": Skip.NO_KEEPER}
            )
            continue
        keep_paths = [f["path"] for f in keepers]
        kept_ids = {id(f) for f in keepers}
        doomed = [f for f in files if id(f) not in kept_ids]
        if not doomed:
            plan.skipped.append(
                {"paths": [f["path"] for f in files], "reason": "every copy is kept", "why": Skip.ALL_KEPT}
            )
            continue
        for f in doomed:
            if f.get("links"):
                # other names of the same inode stay behind: removing this one would free nothing
                names = [f["path"], *map(_as_path, f["links"])]
                plan.skipped.append(
                    {"paths": names, "reason": "hard links: removing one name frees nothing", "why": Skip.HARD_LINKS}
                )
                continue
            plan.targets.append(
                {
                    "path": f["path"],
                    "size": group["size"],
                    "mtime_ns": f.get("mtime_ns", 0),
                    "hash": group["hash"],
                    "keepers": list(keep_paths),
                }
            )
    return plan
