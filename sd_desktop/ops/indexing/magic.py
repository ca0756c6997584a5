"""File kind and MIME type from magic bytes (never from the extension alone).

Signatures come from puremagic's database; puremagic's own matcher scans all ~1,400 signatures
per call (~400 us), too slow for 10,000 files/s, so the signatures with a MIME type are indexed
here by (offset, first bytes) and a file costs a few dict look-ups. When several signatures of the
same length match (a ZIP container is also DOCX, XLSX, ...), the file's extension only breaks the
tie among what the bytes already proved. Files without a signature whose first bytes are valid
UTF-8 without NULs are ``text/plain``.
"""

from __future__ import annotations

from collections import defaultdict

from puremagic import main as _pm

HEAD_BYTES = 4096
GENERIC_MIMES = ("application/zip", "application/x-tar", "application/xml", "application/octet-stream")


def _build() -> tuple[dict, list[tuple[int, int]], dict]:
    index: dict[tuple[int, bytes], list[tuple[bytes, str, str]]] = defaultdict(list)
    for sig in _pm.magic_header_array:
        if not sig.mime_type or sig.offset < 0 or not sig.byte_match:
            continue
        key = (sig.offset, sig.byte_match[:2])
        index[key].append((sig.byte_match, sig.mime_type, sig.extension or ""))
    multi: dict[bytes, list[tuple[int, bytes, str, str]]] = {}
    for lead, options in _pm.multi_part_dict.items():
        opts = [
            (o.offset, o.byte_match, o.mime_type, o.extension or "") for o in options if o.mime_type and o.offset >= 0
        ]
        if opts:
            multi[lead] = opts
    # (offset, key length, {key: signatures}) for each pair that has signatures, by offset: a file
    # costs one slice and one look-up per pair (keyed by the bytes alone: no tuple to build and hash)
    pairs = sorted({(off, len(key)) for off, key in index})
    probes = [(off, n, {k: v for (o, k), v in index.items() if o == off and len(k) == n}) for off, n in pairs]
    return dict(index), probes, multi


_INDEX, _PROBES, _MULTI = _build()


def sniff(head: bytes, name: bytes = b"") -> str | None:
    """The MIME type of content starting with ``head`` (None when unknown or empty)."""
    if not head:
        return None
    n = len(head)
    best: list[tuple[bytes, str, str]] = []
    best_len = 0
    for off, klen, table in _PROBES:
        if off >= n:
            break
        cands = table.get(head[off : off + klen])
        if cands:
            for sig in cands:
                bm = sig[0]
                lb = len(bm)
                if lb < best_len or head[off : off + lb] != bm:
                    continue
                if lb > best_len:
                    best, best_len = [sig], lb
                else:
                    best.append(sig)
    if best:
        mime = _pick(best, name)
        for sig in best:
            for off, bm, m, _ext in _MULTI.get(sig[0], ()):
                if head[off : off + len(bm)] == bm:
                    return m
        return mime
    return "text/plain" if _looks_like_text(head) else None


def _pick(cands: list[tuple[bytes, str, str]], name: bytes) -> str:
    if len({c[1] for c in cands}) == 1:
        return cands[0][1]
    dot = name.rfind(b".")
    ext = name[dot:].decode("ascii", "ignore").lower() if dot > 0 else ""
    if ext:
        for c in cands:
            if c[2] == ext:
                return c[1]
    for generic in GENERIC_MIMES:
        for c in cands:
            if c[1] == generic:
                return generic
    return cands[0][1]


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for cut in range(4):  # the sample may end inside a multi-byte character
        try:
            (head[: len(head) - cut] if cut else head).decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


def kind_of(mime: str | None) -> str | None:
    """A coarse content kind for people and filters: image, video, audio, text, document, archive, other."""
    if not mime:
        return None
    top = mime.split("/", 1)[0]
    if top in ("image", "video", "audio", "text", "font"):
        return top
    if any(k in mime for k in ("pdf", "msword", "officedocument", "opendocument", "ms-excel", "ms-powerpoint", "epub")):
        return "document"
    if any(k in mime for k in ("zip", "tar", "gzip", "x-7z", "rar", "bzip", "x-xz", "zstd", "compress")):
        return "archive"
    if any(k in mime for k in ("json", "xml", "javascript")):
        return "text"
    return "other"
