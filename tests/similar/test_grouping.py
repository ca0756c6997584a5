"""Multi-index grouping of 64-bit hashes: the same pairs as comparing every pair, groups around centres."""

from __future__ import annotations

import numpy as np
import pytest

from sd_desktop.ops.media.similar.grouping import MAX_THRESHOLD, close_pairs, group


def _flip(rng: np.random.Generator, h: np.uint64, bits: int) -> np.uint64:
    for b in rng.choice(64, size=bits, replace=False):
        h ^= np.uint64(1) << np.uint64(int(b))
    return h


def _random(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)


@pytest.mark.parametrize("threshold", [0, 3, 8, 10, 11, 15])
def test_close_pairs_equal_every_pair_compared(threshold):
    rng = np.random.default_rng(threshold)
    base = _random(rng, 300)
    # near copies at every distance up to threshold + 2, so pairs right at and past the edge exist
    near = np.array([_flip(rng, base[i], i % (threshold + 3)) for i in range(300)], dtype=np.uint64)
    hashes = np.concatenate([base, near])
    i, j, d = close_pairs(hashes, threshold)
    every = np.bitwise_count(hashes[:, None] ^ hashes[None, :])
    bi, bj = np.nonzero(np.triu(every <= threshold, 1))
    assert sorted(zip(i.tolist(), j.tolist(), d.tolist(), strict=True)) == sorted(
        zip(bi.tolist(), bj.tolist(), every[bi, bj].tolist(), strict=True)
    )


def test_groups_are_around_centres_not_chains():
    # a chain 0 - 1 - 2 - 3, each 6 bits from the next: single link would make one group of all 4;
    # around centres, 1 (most neighbours, then priority) takes 0 and 2, and 3 (18 bits from 1) stays out
    a = np.uint64(0)
    b = np.uint64(0b111111)
    c = np.uint64(0b111111_111111)
    d = np.uint64(0b111111_111111_111111)
    groups = group(np.array([a, b, c, d], dtype=np.uint64), 8, priority=np.array([0, 1, 0, 0]))
    assert [(g.members, g.distances) for g in groups] == [([1, 0, 2], [0, 6, 6])]


def test_threshold_out_of_range_is_refused():
    with pytest.raises(ValueError, match=f"0..{MAX_THRESHOLD}"):
        close_pairs(np.zeros(2, dtype=np.uint64), MAX_THRESHOLD + 1)


def test_100000_random_hashes_with_planted_groups():
    """100,000 hashes group without comparing every pair (5e9 pairs would take minutes in numpy);
    the time itself is measured in tests/perf/test_similar_perf.py."""
    rng = np.random.default_rng(7)
    hashes = _random(rng, 100_000)
    planted = {}
    for k in range(100):  # 100 sets of 4: a centre and three copies 1..4 bits away
        centre = 1000 * k
        for m in range(1, 4):
            hashes[centre + m] = _flip(rng, hashes[centre], m + 1)
        planted[centre] = [centre + 1, centre + 2, centre + 3]
    groups = group(hashes, 10)
    found = {g.members[0]: sorted(g.members[1:]) for g in groups if len(g.members) == 4}
    assert found == planted
    # besides the planted sets, ~50 chance pairs of random hashes are within 10 bits; every distance
    # reported is the real one, and no picture is in two groups
    for g in groups:
        real = np.bitwise_count(hashes[g.members] ^ hashes[g.members[0]]).tolist()
        assert g.distances == real and max(real) <= 10
    members = [m for g in groups for m in g.members]
    assert len(members) == len(set(members))
