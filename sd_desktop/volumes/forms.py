"""The fields of an "Add Network Volume" form, per scheme, checked and turned into what
``volume add`` stores: ``(scheme, root, options)`` with the secrets among the options (they are
split off and kept by ``volumes.secrets`` on registration, never in the library).

``problems`` says, field by field, what is wrong in one line, so a form can show it in place;
``to_volume`` refuses a form that has any.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from sd_desktop.library.volumes import NAME_PATTERN

SCHEMES = ("sftp", "s3", "webdav")
# the fields of each scheme's form, in order (``name`` comes first on every form)
FIELDS: dict[str, tuple[str, ...]] = {
    "sftp": ("user", "host", "port", "root", "key", "passphrase", "password", "trust_host_key"),
    "s3": ("bucket", "root", "endpoint", "region", "access_key_id", "secret_access_key"),
    "webdav": ("url", "username", "password"),
}
# S3's bucket naming rules, loosely: 3-63 lower-case letters, digits, '.', '-'
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class FormError(ValueError):
    """A form with problems; ``problems`` maps each wrong field to its one line."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def _http_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def problems(scheme: str, name: str, fields: dict[str, str]) -> dict[str, str]:
    """Field -> what is wrong with it (empty when the form can be added)."""
    out: dict[str, str] = {}
    f = {k: (v or "").strip() for k, v in fields.items()}
    if not name.strip():
        out["name"] = "give the volume a name (used as NAME:/path)"
    elif not NAME_PATTERN.match(name.strip()):
        out["name"] = "two or more letters, digits, '.', '_' or '-', starting with a letter or digit"
    if scheme == "sftp":
        if not f.get("user"):
            out["user"] = "the user to log in as"
        if not f.get("host"):
            out["host"] = "the server's name or address"
        elif any(c in f["host"] for c in " /@"):
            out["host"] = "a host name or address only (no user, port or folder)"
        port = f.get("port") or "22"
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            out["port"] = "a number from 1 to 65535"
        key = f.get("key")
        if key and not os.path.isfile(os.path.expanduser(key)):
            out["key"] = "no such file; choose the private key file"
        if not key and not fields.get("password"):
            out["password"] = "give a key file or a password"
    elif scheme == "s3":
        bucket = f.get("bucket", "")
        if not bucket:
            out["bucket"] = "the bucket's name"
        elif not _BUCKET.match(bucket):
            out["bucket"] = "3 to 63 lower-case letters, digits, '.' or '-'"
        if f.get("endpoint") and not _http_url(f["endpoint"]):
            out["endpoint"] = "an http:// or https:// address"
        if bool(f.get("access_key_id")) != bool(fields.get("secret_access_key")):
            which = "secret_access_key" if f.get("access_key_id") else "access_key_id"
            out[which] = "give both the access key and the secret, or neither"
    elif scheme == "webdav":
        if not f.get("url"):
            out["url"] = "the share's address, http://HOST:PORT/FOLDER"
        elif not _http_url(f["url"]):
            out["url"] = "an http:// or https:// address"
        if fields.get("password") and not f.get("username"):
            out["username"] = "a password needs a user"
    else:
        out["scheme"] = f"unknown kind of volume {scheme!r}: choose {', '.join(SCHEMES)}"
    return out


def _root(text: str) -> str:
    text = text.strip()
    return "/" + text.strip("/") if text.strip("/") else "/"


def to_volume(scheme: str, name: str, fields: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """``(scheme, root, options)`` of a form without problems (else ``FormError``); secrets are
    among the options, as ``volume add --option`` gives them."""
    found = problems(scheme, name, fields)
    if found:
        raise FormError(found)
    f = {k: (v or "").strip() for k, v in fields.items()}
    options: dict[str, str] = {}
    if scheme == "sftp":
        options = {"host": f["host"], "port": f.get("port") or "22", "user": f["user"]}
        if f.get("key"):
            options["key"] = os.path.abspath(os.path.expanduser(f["key"]))
            if fields.get("passphrase"):
                options["passphrase"] = fields["passphrase"]
        if fields.get("password"):
            options["password"] = fields["password"]
        if f.get("trust_host_key") in ("1", "true", "yes"):
            options["known_hosts"] = "accept"
        return "sftp", _root(f.get("root", "")) if f.get("root") else ".", options
    if scheme == "s3":
        options = {"bucket": f["bucket"]}
        for key in ("endpoint", "region", "access_key_id"):
            if f.get(key):
                options[key] = f[key]
        if fields.get("secret_access_key"):
            options["secret_access_key"] = fields["secret_access_key"]
        return "s3", _root(f.get("root", "")), options
    parts = urlsplit(f["url"])
    options = {"endpoint": f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"}
    if f.get("username"):
        options["username"] = f["username"]
    if fields.get("password"):
        options["password"] = fields["password"]
    return "webdav", _root(parts.path), options
