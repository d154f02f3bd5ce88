"""Settings: the frozen ``Config`` and its value parsing (``settings.py``), and the custom
options a tasks file declares (``options.py``). Every layer above may read a Config; this
package imports only ``fastswarm.exception``."""
