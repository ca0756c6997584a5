"""Indexing: the IndexerJob that walks a location into the library, and its phases.

Modules: ``config`` (job config/state/output), ``rules`` (what is skipped), ``walk`` (the
one-thread directory walk in batches), ``persist`` (incremental row writing), ``aggregate``
(set-based directory totals), ``magic`` (MIME from magic bytes), ``identify`` (cas_id, MIME and
integrity hashes in batches) and ``job`` (the orchestration).
"""
