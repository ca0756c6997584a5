"""Entry point: ``python -m sd_desktop`` and the ``sd-desktop`` launcher."""

from __future__ import annotations

import sys


def main() -> int:
    from sd_desktop.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
