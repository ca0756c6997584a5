"""Result views of finished jobs: duplicate groups (mark, then act through guarded jobs) and validation issues."""
