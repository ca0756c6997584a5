"""``fewer_collections``: every generation's threshold is raised while a block is open (a job building
tens of thousands of records must not trigger a full pass over the process) and put back after."""

from __future__ import annotations

import gc
import threading

from sd_desktop import gc_policy
from sd_desktop.gc_policy import fewer_collections


def test_thresholds_raised_for_every_generation_and_restored():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with fewer_collections():
            young, middle, old = gc.get_threshold()
            assert young >= gc_policy.YOUNG_THRESHOLD
            assert middle >= gc_policy.MIDDLE_THRESHOLD
            assert old >= gc_policy.OLD_THRESHOLD
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_a_higher_setting_is_kept_and_nested_blocks_restore_once():
    before = gc.get_threshold()
    try:
        gc.set_threshold(500_000, 5, 1000)
        with fewer_collections():
            assert gc.get_threshold() == (500_000, gc_policy.MIDDLE_THRESHOLD, 1000)
            with fewer_collections():
                pass
            assert gc.get_threshold() == (500_000, gc_policy.MIDDLE_THRESHOLD, 1000)  # the outer block is open
        assert gc.get_threshold() == (500_000, 5, 1000)
    finally:
        gc.set_threshold(*before)


def test_blocks_on_two_threads_overlapping():
    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def other():
        with fewer_collections():
            inside.set()
            release.wait(5)

    try:
        gc.set_threshold(700, 10, 10)
        thread = threading.Thread(target=other)
        thread.start()
        assert inside.wait(5)
        with fewer_collections():
            pass
        assert gc.get_threshold()[0] >= gc_policy.YOUNG_THRESHOLD  # the other thread's block is still open
        release.set()
        thread.join(5)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
