"""``patch_gevent``: the one place that monkey-patches the standard library for gevent.

The command line calls it first thing, before any user code is imported; ``run_single_user``
calls it too, for tasks files run as scripts. Importing this module patches nothing.
"""

from __future__ import annotations


def patch_gevent() -> None:
    """Make the standard library cooperative before any user code is imported.

    gevent looks its plugins up (entry points) about 25 times during ``patch_all``, each a
    scan of every installed distribution's metadata: ~60 ms of CPU per run. The installed
    set cannot change meanwhile, so it is scanned once for the call; plugins still run.
    """
    from importlib import metadata

    from gevent import monkey

    if monkey.is_module_patched("socket"):
        return
    lookup = metadata.entry_points
    found = lookup()
    setattr(metadata, "entry_points", lambda **params: found.select(**params))  # noqa: B010
    try:
        monkey.patch_all()
    finally:
        setattr(metadata, "entry_points", lookup)  # noqa: B010
    from gevent.hub import Hub  # a Ctrl-C met in the event loop goes to main() without a traceback

    Hub.NOT_ERROR = (*Hub.NOT_ERROR, KeyboardInterrupt)
