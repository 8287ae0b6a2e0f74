"""python -m chaser_conformance: the same as the chaser-conformance command."""

import sys

from .cli import main

sys.exit(main())
