"""The master's status endpoint: JSON, Prometheus text, reports, control, and the web UI.

``app.StatusApp`` is a plain WSGI application over a ``control.SessionControl``;
``server.WebServer`` serves it on gevent.pywsgi inside the master process.

For a tasks file's own routes (``environment.web_ui.app.route``) this package stands in for
``flask``: a Locust file's ``from flask import request, jsonify`` ports as
``from fastswarm.web import request, jsonify``.
"""

from __future__ import annotations

from fastswarm.web.extend_reply import Response as Response
from fastswarm.web.extend_reply import abort as abort
from fastswarm.web.extend_reply import jsonify as jsonify
from fastswarm.web.extend_reply import make_response as make_response
from fastswarm.web.extend_request import request as request
