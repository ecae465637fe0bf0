"""`python -m evcms.cli`: the `evcms` command."""

import sys

from evcms.cli import main

if __name__ == "__main__":
    sys.exit(main())
