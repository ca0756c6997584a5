"""What the duplicate view says after Auto-Mark and after acting on the marked copies, in words a
person reads at a glance (pure functions, no Qt)."""

from __future__ import annotations

from collections import Counter

from sd_desktop.ops.files.delete.guard import ALREADY_GONE
from sd_desktop.ops.files.duplicate_detection.select import Policy, Skip
from sd_desktop.ui.formatting import plural

DONE = ("trashed", "deleted", "moved", "copied", "linked", "already", "restored")


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


def skipped_text(skipped: list[dict], policy: Policy, pattern: str | None = None) -> str:
    """Why Auto-Mark left groups alone, one sentence per kind of reason ("" when it left none)."""
    whys = Counter(s.get("why") for s in skipped)
    rule = f"“{pattern}”" if pattern else "the pattern"
    parts = []
    n = whys.pop(Skip.NO_KEEPER, 0)
    if n:
        groups = plural(n, "group")
        if policy is Policy.KEEP_MATCHING:
            parts.append(
                f"{groups} {_were(n)} left unmarked because no copy in {'it' if n == 1 else 'them'} matches {rule}: "
                f"mark {'it' if n == 1 else 'them'} by hand or try another rule."
            )
        elif policy is Policy.KEEP_REFERENCE:
            parts.append(f"{groups} {_were(n)} left unmarked because no copy is in a reference folder.")
        else:
            parts.append(f"{groups} {_were(n)} left unmarked: the rule found no copy to keep.")
    n = whys.pop(Skip.ALL_KEPT, 0)
    if n:
        groups = plural(n, "group")
        if policy is Policy.KEEP_MATCHING:
            parts.append(f"{groups} {_were(n)} left unmarked because every copy matches {rule}, so all are kept.")
        elif policy is Policy.KEEP_REFERENCE:
            parts.append(f"{groups} {_were(n)} left unmarked because every copy is in a reference folder.")
        else:
            parts.append(f"{groups} {_were(n)} left unmarked: the rule keeps every copy.")
    n = whys.pop(Skip.HARD_LINKS, 0)
    if n:
        files = plural(n, "file")
        parts.append(
            f"{files} {_were(n)} not marked because {'it has' if n == 1 else 'they have'} other names on disk "
            "(hard links): removing one name frees no space."
        )
    n = sum(whys.values())
    if n:
        parts.append(f"{plural(n, 'group')} {_were(n)} left unmarked.")
    return " ".join(parts)


def _why(reason: str) -> str:
    """A guard's or a job's reason, as a template ending "skipped because …" (``_because`` fills in the pronouns)."""
    text = reason.lower()
    if text.startswith("no verified copy"):  # the copy to keep is missing or not what the scan saw
        return "{its} kept {copy_is} gone" if text.endswith("is gone") else "{its} kept {copy} could not be checked"
    if text.startswith("refused"):
        return "no copy of {it} would be left"
    if "changed since the scan" in text or "no longer a regular file" in text:
        return "{it} changed since the scan"
    if text.startswith(ALREADY_GONE):
        return "{it} {was} already gone"
    return "of this: " + reason


def _because(n: int, why: str) -> str:
    words = (
        {"it": "it", "its": "its", "was": "was", "copy": "copy", "copy_is": "copy is"}
        if n == 1
        else {"it": "they", "its": "their", "was": "were", "copy": "copies", "copy_is": "copies are"}
    )
    return f"because {why.format(**words)}"


def outcome_text(outcomes: list[dict], verb: str) -> str:
    """What a guarded removal or move did, exactly: "1 file moved to the Trash, 1 skipped because it
    changed since the scan." (``verb``: "moved to the Trash", "deleted", "moved")."""
    done = sum(1 for o in outcomes if o.get("outcome") in DONE)
    skipped = Counter(_why(o.get("reason") or "") for o in outcomes if o.get("outcome") == "skipped")
    failed = sum(1 for o in outcomes if o.get("outcome") not in DONE and o.get("outcome") != "skipped")
    parts = [f"{plural(done, 'file')} {verb}"]
    n = sum(skipped.values())
    if len(skipped) == 1:
        (why,) = skipped
        parts.append(f"{n} skipped {_because(n, why)}")
    elif skipped:
        parts.append(f"{n} skipped: " + ", ".join(f"{k} {_because(k, why)}" for why, k in skipped.most_common()))
    if failed:
        parts.append(f"{failed} failed (see Status for why)")
    return ", ".join(parts) + "."
