"""Duplicate folders: folders whose whole content is identical, reported at their highest level.

``shape`` finds the candidates from one walk (a digest per folder, bottom-up, of its names, sizes and
sub-folders); ``content`` confirms each candidate with a fresh walk and the full hash of every file;
``job`` runs the two as a resumable job; ``report`` keeps only the highest duplicated level.
"""

from sd_desktop.ops.files.duplicate_folders.config import FolderConfig, FolderOutput
from sd_desktop.ops.files.duplicate_folders.job import DuplicateFoldersJob

__all__ = ["DuplicateFoldersJob", "FolderConfig", "FolderOutput"]
