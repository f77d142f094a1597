"""``python -m cutover``: the command line (cutover.cli)."""

import sys

from cutover.cli import main

if __name__ == "__main__":
    sys.exit(main())
