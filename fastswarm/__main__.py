"""``python -m fastswarm`` is the ``fastswarm`` command."""

from fastswarm.cli import main

main()
