"""Group 64-bit perceptual hashes within a Hamming distance, without comparing every pair.

**Finding the close pairs: multi-index hashing.** Each hash is cut into four 16-bit chunks. Two
hashes at most ``threshold`` bits apart differ in at most ``threshold // 4`` bits in at least one
chunk (else all four would differ in more, ``4 * (threshold // 4 + 1) > threshold`` bits in all).
So, per chunk, each hash probes the buckets of every 16-bit value within that radius of its own
chunk (137 values for a radius of 2) in a table of the hashes sorted by that chunk, and only the
hashes found there are compared whole. Everything runs on numpy arrays, in blocks of queries so
memory stays bounded; 100,000 random hashes take a few seconds where comparing every pair is 5e9
comparisons.

**Grouping: around centres.** Chaining every close pair (single link) joins pictures that are far
apart through a line of in-between ones. Instead the picture with the most close neighbours is a
centre, its group is the centre and its close neighbours not yet in a group; then the next centre.
Every member is within ``threshold`` of its centre (members of one group are at most
``2 * threshold`` apart), and a picture is in one group at most.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sd_desktop.ops.media.similar.config import MAX_THRESHOLD

CHUNKS = 4
CHUNK_BITS = 16
BLOCK = 2048  # queries per block: bounds the candidate arrays (a few MB each)


@dataclass
class Group:
    """Indices into the hashes: ``members[0]`` is the centre; ``distances[i]`` is from ``members[i]`` to it."""

    members: list[int]
    distances: list[int]


def _probes(radius: int) -> np.ndarray:
    """Every 16-bit mask with at most ``radius`` bits set."""
    values = np.arange(1 << CHUNK_BITS, dtype=np.uint32)
    return values[np.bitwise_count(values) <= radius].astype(np.int64)


def close_pairs(hashes: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(i, j, distance)`` with ``i < j`` and at most ``threshold`` bits apart, each once."""
    if not 0 <= threshold <= MAX_THRESHOLD:
        raise ValueError(f"the threshold must be 0..{MAX_THRESHOLD} bits, not {threshold}")
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    n = len(hashes)
    empty = np.zeros(0, dtype=np.int64)
    if n < 2:
        return empty, empty, empty
    probes = _probes(threshold // CHUNKS)
    found_i, found_j, found_d = [], [], []
    for c in range(CHUNKS):
        keys = ((hashes >> np.uint64(c * CHUNK_BITS)) & np.uint64(0xFFFF)).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        # starts[v]..starts[v+1]: where the hashes whose chunk is v sit in ``order``
        starts = np.zeros((1 << CHUNK_BITS) + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys, minlength=1 << CHUNK_BITS), out=starts[1:])
        for lo_q in range(0, n, BLOCK):
            queries = np.arange(lo_q, min(n, lo_q + BLOCK), dtype=np.int64)
            probe = (keys[queries][:, None] ^ probes[None, :]).ravel()
            lo, hi = starts[probe], starts[probe + 1]
            counts = hi - lo
            total = int(counts.sum())
            if not total:
                continue
            # expand each probed bucket into its positions: lo + 0, lo + 1, ... per bucket
            first = np.cumsum(counts) - counts
            positions = np.repeat(lo - first, counts) + np.arange(total, dtype=np.int64)
            cand = order[positions]
            query = np.repeat(np.repeat(queries, len(probes)), counts)
            keep = cand > query
            query, cand = query[keep], cand[keep]
            dist = np.bitwise_count(hashes[query] ^ hashes[cand]).astype(np.int64)
            close = dist <= threshold
            found_i.append(query[close])
            found_j.append(cand[close])
            found_d.append(dist[close])
    if not found_i:
        return empty, empty, empty
    i, j, d = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d)
    # a pair close in several chunks was found once per chunk
    _, first = np.unique(i * n + j, return_index=True)
    return i[first], j[first], d[first]


def group(hashes: np.ndarray, threshold: int, priority: np.ndarray | None = None) -> list[Group]:
    """Groups of two or more hashes, each around a centre (see the module doc).

    Centres are taken by most close neighbours, then by the highest ``priority`` (e.g. pixels:
    the largest picture of a set is its natural centre), then by index. Members follow their
    centre by distance, then by index.
    """
    n = len(hashes)
    i, j, d = close_pairs(hashes, threshold)
    if not len(i):
        return []
    src = np.concatenate([i, j])
    dst = np.concatenate([j, i])
    dist = np.concatenate([d, d])
    by_src = np.argsort(src, kind="stable")
    src, dst, dist = src[by_src], dst[by_src], dist[by_src]
    degree = np.bincount(src, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=offsets[1:])
    prio = np.zeros(n) if priority is None else np.asarray(priority, dtype=np.float64)
    # np.lexsort sorts by the last key first: most neighbours, then highest priority, then lowest index
    connected = np.flatnonzero(degree)
    centres = connected[np.lexsort((connected, -prio[connected], -degree[connected]))]
    taken = np.zeros(n, dtype=bool)
    groups: list[Group] = []
    for c in centres.tolist():
        if taken[c]:
            continue
        lo, hi = offsets[c], offsets[c + 1]
        nbrs, nd = dst[lo:hi], dist[lo:hi]
        free = ~taken[nbrs]
        if not free.any():
            continue
        nbrs, nd = nbrs[free], nd[free]
        rank = np.lexsort((nbrs, nd))
        nbrs, nd = nbrs[rank], nd[rank]
        taken[c] = True
        taken[nbrs] = True
        groups.append(Group([c, *nbrs.tolist()], [0, *nd.tolist()]))
    return groups
