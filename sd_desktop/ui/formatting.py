"""Human-readable sizes, counts, durations and dates for labels (pure functions, no Qt)."""

from __future__ import annotations

import time

_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def human_size(n: int | float | None) -> str:
    if n is None:
        return ""
    n = float(n)
    for unit in _UNITS:
        if abs(n) < 1000 or unit == _UNITS[-1]:
            return f"{int(n)} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


def human_count(n: int) -> str:
    return f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """ "1 item", "2 items", "12,345 items"; ``many`` for words that do not just take an "s"
    (``plural(n, "copy", "copies")``)."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {many or word + 's'}"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {s:02d}s"
    hours, m = divmod(minutes, 60)
    return f"{hours}h {m:02d}m"


def human_rate(rate: float | None, unit: str) -> str:
    if not rate:
        return ""
    if unit == "bytes":
        return f"{human_size(rate)}/s"
    return f"{rate:,.0f} items/s" if rate >= 10 else f"{rate:.1f} items/s"


def short_time(seconds: float | None, now: float | None = None) -> str:
    """A finishing time in few characters: "14:02" today, "3 May 14:02" this year, "2024-05-03"
    before (full dates go in tooltips)."""
    if seconds is None:
        return ""
    t = time.localtime(seconds)
    today = time.localtime(time.time() if now is None else now)
    if t[:3] == today[:3]:
        return time.strftime("%H:%M", t)
    if t.tm_year == today.tm_year:
        return f"{t.tm_mday} {time.strftime('%b %H:%M', t)}"
    return time.strftime("%Y-%m-%d", t)


def human_time(ns_or_s: float | None, *, ns: bool = False) -> str:
    if ns_or_s is None:
        return ""
    t = ns_or_s / 1e9 if ns else ns_or_s
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))
