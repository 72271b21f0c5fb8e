"""``python -m eolink``."""

import sys

from eolink.cli import main

sys.exit(main())
