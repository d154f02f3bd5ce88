"""The master's status endpoint: JSON, Prometheus text, reports, control, and the web UI.

``app.StatusApp`` is a plain WSGI application over a ``control.SessionControl``;
``server.WebServer`` serves it on gevent.pywsgi inside the master process.
"""
