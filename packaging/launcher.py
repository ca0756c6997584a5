"""The PyInstaller bundle's entry script: the same ``main`` as ``python -m sd_desktop`` and pip's launcher."""

import multiprocessing
import sys

from sd_desktop.__main__ import main

if __name__ == "__main__":
    # a frozen app re-executes itself for spawn/forkserver worker processes; this makes them workers
    multiprocessing.freeze_support()
    sys.exit(main())
