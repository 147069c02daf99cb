"""``python -m neurowave``: the command line (also ``torchrun ... -m neurowave train ...``)."""

import sys

from .cli import main

sys.exit(main())
