"""``python -m eolink.cli``."""

import sys

from eolink.cli import main

sys.exit(main())
