"""``python -m fastswarm.target``: the built-in target on its own."""

import sys

from fastswarm.target.app import main

sys.exit(main())
