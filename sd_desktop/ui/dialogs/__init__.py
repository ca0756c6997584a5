"""Dialogs of the file actions: find duplicates, validate, copy conflicts, permanent deletion, properties."""
