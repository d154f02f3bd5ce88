"""``python -m fastswarm`` is the ``fastswarm`` command."""

from fastswarm.cli.main import main

main()
