"""Indexing: the IndexerJob that walks a location into the library, and its phases.

Modules: ``config`` (job config/state/output), ``rules`` (what is skipped), ``resumable_walk``
(the one-thread directory walk in batches, resumable from its frontier), ``persist`` (matching walk
batches against stored entries), ``magic`` (MIME from magic bytes), ``identify`` (cas_id, MIME and
integrity hashes in batches) and ``job`` (the orchestration). The SQL they need lives in
``sd_desktop.library``: ``entries`` (entry rows and the walk's bookkeeping), ``aggregates`` (folder
totals) and ``contents`` (content identities and hashes).
"""
