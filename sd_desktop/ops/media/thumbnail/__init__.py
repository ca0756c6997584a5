"""ThumbnailJob and the sidecar cache.

Kept import-light on purpose: worker processes import ``generate`` through this package, and
must not pull in the job engine. The job itself lives in ``job`` (registered via ``ops.JOB_MODULES``),
its config, state and output dataclasses in ``config`` (``job`` imports them, so both names work).
"""
