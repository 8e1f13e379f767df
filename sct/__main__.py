"""``python -m sct``: the command line (see :mod:`sct.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
