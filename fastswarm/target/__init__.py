"""The built-in target (``app.py``) and its ``fastswarm target`` command (``command.py``)."""
