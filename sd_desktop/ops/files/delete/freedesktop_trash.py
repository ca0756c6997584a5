"""The freedesktop.org trash's former home, kept so imports written against it keep working.

The trash is a capability of the local backend now (``sd_desktop.volumes.freedesktop_trash``,
reached by jobs through ``LocalWrites.trash``). This name is the same module object.
"""

import sys

from sd_desktop.volumes import freedesktop_trash

sys.modules[__name__] = freedesktop_trash
