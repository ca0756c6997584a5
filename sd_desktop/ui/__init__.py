"""The Qt desktop app. The only package that imports Qt (PySide6); the engine never does.

Modules: ``app`` (bootstrap, qasync loop, orderly shutdown), ``bridge`` (engine events -> Qt
signals, the only place), ``services`` (the commands widgets may call), ``main_window``,
``sidebar``, ``pathbar``, ``content_model``/``content_view`` (one folder, list and grid),
``thumbnails`` (sidecar LRU), ``icons`` (type icons), ``job_panel``, ``actions`` (the action
registry), ``settings`` (QSettings), ``single_instance``, ``stall`` (event-loop lateness),
``workers``/``tasks`` (threads and coroutines started from the GUI).

PySide6 is imported before qasync anywhere in this package, and QT_API is pinned, so qasync
never picks another binding that happens to be installed.
"""

import os

os.environ.setdefault("QT_API", "pyside6")
