"""From what people type to a volume: ``sftp://USER@HOST:PORT/ROOT``, ``s3://BUCKET/ROOT``,
``webdav://HOST:PORT/ROOT`` (``webdavs://`` for HTTPS), or any other OpenDAL service with
``--scheme`` and a root; ``--option KEY=VALUE`` adds settings. And back: a stored volume row plus
its secrets make the ``VolumeSpec`` a backend connects with.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sd_desktop.volumes.remote import DEFAULT_TIMEOUT, VolumeSpec


class SpecError(ValueError):
    """A volume URL or option that cannot be used (the message says what to write instead)."""


def parse_options(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SpecError(f"bad --option {pair!r}: write KEY=VALUE")
        out[key.strip()] = value
    return out


def parse(url: str, scheme: str | None, options: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """``(scheme, root, options)`` of a volume given as ``url`` (or, with ``scheme``, as a root)."""
    if scheme:
        return scheme, url or "/", dict(options)
    parts = urlsplit(url)
    kind = parts.scheme.lower()
    root = unquote(parts.path) or "/"
    try:
        port = parts.port  # a port that is not a number from 0 to 65535 raises here
    except ValueError:
        raise SpecError(f"bad port in {url!r}: write a number from 1 to 65535") from None
    if kind == "sftp":
        if not parts.hostname:
            raise SpecError(f"no host in {url!r}: write sftp://USER@HOST:PORT/FOLDER")
        found = {"host": parts.hostname, "port": str(port or 22)}
        if parts.username:
            found["user"] = unquote(parts.username)
        found.update(options)
        if found.get("key"):  # the shell leaves ``key=~/...`` as typed; the stored path must stand alone
            found["key"] = os.path.abspath(os.path.expanduser(found["key"]))
        return "sftp", root, found
    if kind == "s3":
        if not parts.hostname:
            raise SpecError(f"no bucket in {url!r}: write s3://BUCKET/PREFIX")
        return "s3", root, {"bucket": parts.netloc, **options}
    if kind in ("webdav", "webdavs"):
        if not parts.hostname:
            raise SpecError(f"no host in {url!r}: write webdav://HOST:PORT/FOLDER")
        http = "https" if kind == "webdavs" else "http"
        found = {"endpoint": f"{http}://{parts.netloc.rsplit('@', 1)[-1]}"}
        if parts.username:
            found["username"] = unquote(parts.username)
        return "webdav", root, {**found, **options}
    raise SpecError(
        f"unknown volume address {url!r}: write sftp://USER@HOST:PORT/FOLDER, s3://BUCKET/PREFIX, "
        "webdav://HOST:PORT/FOLDER, or another OpenDAL service with --scheme NAME ROOT"
    )


def spec_of(row, library_dir: Path, timeout: float = DEFAULT_TIMEOUT) -> VolumeSpec:
    """The spec of a stored volume (a ``VolumeRow``), its secrets filled in from where they are kept."""
    from sd_desktop.volumes import secrets

    options = {**row.options, **secrets.load(library_dir, row.name, row.secret)}
    timeout = float(options.pop("timeout", timeout))
    return VolumeSpec(name=row.name, scheme=row.scheme, root=row.root, options=options, timeout=timeout)
