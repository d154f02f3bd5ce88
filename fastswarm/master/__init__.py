"""The master's session: importing the tasks file, a run from fork to exit code, test
control (start, stop, reset, the web modes), the load-shape driver and ``--check``."""
