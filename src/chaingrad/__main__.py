"""``python -m chaingrad``: the same command as ``chaingrad``."""

import sys

from .cli import main

sys.exit(main())
