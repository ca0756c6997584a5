"""Results tabs of files on network volumes (rows named ``NAME:/path``): which of the tab's actions
cannot work there and why (a volume has no trash, no links, no place in a local file manager), and
the permanent delete of marked remote copies through ``remote_delete``, given each one's kept copies
(the group's unmarked rows): just before a copy goes, one of them must still hold its content."""

from __future__ import annotations

import os
from collections import defaultdict

from sd_desktop.ops.files import remote_listing
from sd_desktop.ops.files.delete.config import GuardedTarget
from sd_desktop.ops.files.remote_delete import KeptCopies, RemoteDeleteConfig
from sd_desktop.ui.results.duplicates_view import DuplicatesView
from sd_desktop.ui.results.validation_view import ValidationView

NO_TRASH = "A network volume has no trash: use Delete Permanently… (asked first, cannot be undone)"
NO_MOVE = "Files on a network volume cannot be moved from here: download them from the volume's folder"
NO_LINKS = "Links cannot be made on a network volume: each copy there stays a file of its own"
NO_REVEAL = "A file on a network volume is in no local file manager: Open copies it here and opens it"


def has_remote(paths: list[str] | list[bytes]) -> bool:
    return any(remote_listing.is_remote(p) for p in paths)


def limit_duplicates(view: DuplicatesView) -> None:
    """Turn off, with the reason as tooltip, what a duplicates tab of remote files cannot do: Move to
    Trash and Move while a marked row is on a volume (a tab mixing local and remote rows keeps them
    for local ones), Replace with Links always (a kept copy may be on a volume)."""

    def remote_marked() -> bool:
        return has_remote([f.path for f in view.model.marked_files()])

    view.set_unavailable(view.trash_button, NO_TRASH, remote_marked)
    view.set_unavailable(view.move_button, NO_MOVE, remote_marked)
    view.set_unavailable(view.link_button, NO_LINKS)
    view.reveal_unavailable = NO_REVEAL


def limit_validation(view: ValidationView) -> None:
    view.set_reveal_unavailable(NO_REVEAL)


def split_targets(items: list[GuardedTarget]) -> tuple[list[GuardedTarget], list[RemoteDeleteConfig]]:
    """The local targets (for the guarded DeleteJob) and one confirmed ``remote_delete`` per volume,
    each target with its kept copies (local paths or NAME:/path) and the hash the search saw."""
    local: list[GuardedTarget] = []
    by_volume: dict[str, list[KeptCopies]] = defaultdict(list)
    for t in items:
        found = remote_listing.split(os.fspath(t.path))
        if found is None:
            local.append(t)
        elif found[1]:  # never a volume's root
            keepers = [os.fspath(k) for k in t.keepers]
            by_volume[found[0]].append(KeptCopies(found[1], keepers, t.hash))
    configs = [
        RemoteDeleteConfig(volume=v, paths=[g.path for g in guards], confirm=True, guards=guards)
        for v, guards in sorted(by_volume.items())
    ]
    return local, configs


def delete_outcomes(config: RemoteDeleteConfig, output: dict | None) -> list[dict]:
    """A remote delete's outcome for every path it was given: its output lists the ones kept
    (skipped or failed) with the reason; the rest were deleted."""
    left = list((output or {}).get("outcomes") or [])
    kept = {o["path"] for o in left}
    addresses = [f"{config.volume}:/{p}" for p in config.paths]
    return [{"path": a, "outcome": "deleted"} for a in addresses if a not in kept] + left
