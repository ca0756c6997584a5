"""Which copies of each verified duplicate group become links to a kept file, under the same keep
policies as a removal (``select.keepers_for``).

Every name of an extra copy's inode is a target (its other hard links too: only when all of them
point at the kept file do its blocks come back), each with the kept copy it will point at: a kept
copy on the same device where the policy keeps several. The link job re-verifies every target at
run time; this plan only proposes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sd_desktop.ops.files.duplicate_detection.select import Policy, SelectionError, Skip, keepers_for


@dataclass
class LinkPlan:
    targets: list[dict] = field(default_factory=list)  # {"path", "keeper", "size", "mtime_ns", "hash"}
    skipped: list[dict] = field(default_factory=list)  # groups left alone: paths, reason, why (a Skip)
    bytes_saved: int = 0  # at most this comes back (each extra inode's size once, if on the kept copy's device)

    @property
    def paths(self) -> list[str]:
        return [t["path"] for t in self.targets]


def plan_links(output: dict, policy: Policy | str, pattern: str | None = None) -> LinkPlan:
    """The link plan for a duplicate search's output under ``policy``."""
    policy = Policy(policy)
    if not output.get("verified", False):
        raise SelectionError(
            f"results of mode {output.get('mode')!r} are candidates, not verified duplicates: "
            "run the search in content or deep mode before linking anything"
        )
    refs = [os.fsdecode(r) for r in output.get("reference_paths", [])]
    plan = LinkPlan()
    for group in output.get("groups", []):
        files = [dict(f, path=os.fsdecode(f["path"])) for f in group.get("files") or []]
        if len(files) < 2 or not group.get("hash"):
            continue
        keepers = keepers_for(files, policy, pattern, refs)
        if not keepers:
            reason = f"{policy.value} kept no copy"
            plan.skipped.append({"paths": [f["path"] for f in files], "reason": reason, "why": Skip.NO_KEEPER})
            continue
        kept_ids = {id(f) for f in keepers}
        extras = [f for f in files if id(f) not in kept_ids]
        if not extras:
            reason = "every copy is kept"
            plan.skipped.append({"paths": [f["path"] for f in files], "reason": reason, "why": Skip.ALL_KEPT})
            continue
        for f in extras:
            keeper = next((k for k in keepers if k.get("device") == f.get("device")), keepers[0])
            if keeper.get("device") == f.get("device"):  # another device: skipped at run time
                plan.bytes_saved += group["size"]
            for name in [f["path"], *map(os.fsdecode, f.get("links") or [])]:
                plan.targets.append(
                    {
                        "path": name,
                        "keeper": keeper["path"],
                        "size": group["size"],
                        "mtime_ns": f.get("mtime_ns", 0),
                        "hash": group["hash"],
                    }
                )
    return plan
