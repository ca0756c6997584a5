"""The Qt desktop app. The only package that imports Qt (PySide6); the engine never does.

PySide6 is imported before qasync anywhere in this package, and QT_API is pinned, so qasync
never picks another binding that happens to be installed.
"""

import os

os.environ.setdefault("QT_API", "pyside6")
