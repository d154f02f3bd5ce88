"""Old spellings and Locust's module paths, in one place.

- ``spellings.py``: the table of deprecated names (``HttpLocust``, ``StopLocust``,
  ``locust_count``/``hatch_rate`` in POST /swarm...), each served with one warning; the
  old event names are hooks, so they are mapped in ``fastswarm/user/legacy_events.py``.
- Locust's module paths that a locustfile imports are modules that only re-export
  (``tests/test_layering.py`` holds them to that): ``fastswarm.env``, ``fastswarm.event``,
  ``fastswarm.shape``, ``fastswarm.debug``, ``fastswarm.runners``, ``fastswarm.exceptions``
  (an older path of ``fastswarm.exception``) and ``fastswarm.contrib.fasthttp``.

This package imports nothing of fastswarm: it names what it maps to as strings.
"""
