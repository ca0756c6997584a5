"""The file-system primitives' former home, kept so imports written against it keep working.

They are the local backend's now (``sd_desktop.volumes.localfs``); jobs reach them through the
volume's backend (``sd_desktop.volumes.local_writes``). This name is the same module object.
"""

import sys

from sd_desktop.volumes import localfs

sys.modules[__name__] = localfs
