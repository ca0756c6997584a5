"""Volume addresses: ``NAME:/path`` names a path on a registered volume (a remote or removable one)
rather than on this machine's file system.

No volume can be registered yet, so no text is a volume address today. The command line asks
``is_volume_path`` before it calls a first word an unknown command: once volumes can be registered,
filling in ``registered_volume_names`` is enough for ``sd-desktop NAME:/path`` to open the window there.
"""

from __future__ import annotations


def registered_volume_names() -> frozenset[str]:
    """The names of the volumes registered in the library (none can be registered yet)."""
    return frozenset()


def is_volume_path(text: str) -> bool:
    """True when ``text`` is ``NAME:/path`` with NAME a registered volume."""
    name, sep, rest = text.partition(":")
    return bool(name) and bool(sep) and rest.startswith("/") and name in registered_volume_names()
