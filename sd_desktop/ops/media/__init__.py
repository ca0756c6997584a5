"""Media operations (thumbnails and, later, media metadata)."""
