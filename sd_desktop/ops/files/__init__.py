"""File operations: copy/move (``files.copy``) and delete (``files.delete``) as resumable jobs."""
