"""The status endpoint's OpenAPI 3.1 document (GET /openapi.json).

Kept beside the routes and in step with docs/status-api.md; tests check that every route
the app serves is described here and that /stats answers with the documented keys.
"""

from __future__ import annotations

from typing import Any

from fastswarm.compat.spellings import swarm_aliases
from fastswarm.web.body import MAX_BODY, MAX_DEPTH
from fastswarm.web.swarm import MAX_HOST, MAX_RATE, MAX_RUN_TIME, MAX_SPAWN_RATE, MAX_USERS, MIN_RATE

_NUM = {"type": "number"}
_INT = {"type": "integer"}
_STR = {"type": "string"}


def _obj(props: dict[str, Any], required: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(props)
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


LATENCY = _obj({k: _NUM for k in ("min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max")})
ENDPOINT = _obj(
    {
        "method": _STR,
        "name": _STR,
        "requests": _INT,
        "failures": _INT,
        "rps": _NUM,
        "bytes_avg": _NUM,
        "latency_ms": _ref("Latency"),
        "failures_per_s": _NUM,
        "current_rps": _NUM,
        "current_p50": _NUM,
        "current_p95": _NUM,
        "current_p99": _NUM,
    }
)
WORKER = _obj(
    {
        "id": _STR,
        "index": _INT,
        "host": _STR,
        "pid": _INT,
        "state": _STR,
        "users": _INT,
        "cpu_percent": _NUM,
        "loop_lag_ms": _NUM,
        "heartbeat_age_s": _NUM,
        "alive": {"type": "boolean"},
        "lost_reason": {"type": ["string", "null"]},
        "protocol_errors": _INT,
    }
)
REFUSAL = _obj({"at": _STR, "host": _STR, "pid": _INT, "reason": _STR})
SNAPSHOT = _obj(
    {
        "state": {"enum": ["waiting", "ready", "spawning", "running", "stopping", "stopped"]},
        "users": _INT,
        "target_users": _INT,
        "spawn_rate": _NUM,
        "target_rate": {"type": ["number", "null"]},
        "host": {"type": ["string", "null"]},
        "run_time_left_s": {"type": ["number", "null"]},
        "duration_s": _NUM,
        "defaults": _obj({"users": _INT, "spawn_rate": _NUM, "host": {"type": ["string", "null"]}}),
        "workers": {"type": "array", "items": _ref("Worker")},
        "refused_workers": {"type": "array", "items": _ref("Refusal")},
        "protocol_errors": _INT,
        "histogram_bytes": _INT,
        "totals": _ref("Endpoint"),
        "endpoints": {"type": "array", "items": _ref("Endpoint")},
        "errors": {
            "type": "array",
            "items": _obj({"method": _STR, "name": _STR, "error": _STR, "count": _INT}),
        },
        "user_errors": {
            "type": "array",
            "items": _obj({"kind": _STR, "message": _STR, "count": _INT, "traceback": _STR}),
        },
    }
)
HISTORY = _obj(
    {
        "limit": _INT,
        "points": {
            "type": "array",
            "items": _obj(
                {k: _NUM for k in ("t", "rps", "failures_per_s", "p50", "p95", "p99")} | {"users": _INT}
            ),
        },
    }
)
_CURVE = _obj(
    {
        "count": _INT,
        "max_ms": _NUM,
        "ms": {"type": "array", "items": _NUM, "description": "latency at each of `percentiles`"},
    }
)
DISTRIBUTION = _obj(
    {
        "method": {"type": ["string", "null"]},
        "name": {"type": ["string", "null"], "description": "null: all requests"},
        "percentiles": {"type": "array", "items": _NUM},
        "x": {"type": "array", "items": _NUM, "description": "log10(1/(1-p)) of each percentile"},
        "latency": _CURVE,
        "corrected": {"oneOf": [_CURVE, {"type": "null"}], "description": "open model only"},
    }
)
LOGS = _obj(
    {
        "limit": _INT,
        "last_seq": _INT,
        "dropped": _INT,
        "lines": {
            "type": "array",
            "items": _obj({"seq": _INT, "time": _NUM, "level": _STR, "logger": _STR, "message": _STR}),
        },
    }
)
SWARM = _obj(
    {
        "users": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_USERS,
            "description": f"alias: {', '.join(swarm_aliases('users'))}",
        },
        "spawn_rate": {
            "type": "number",
            "minimum": MIN_RATE,
            "maximum": MAX_SPAWN_RATE,
            "description": f"alias: {', '.join(swarm_aliases('spawn_rate'))}",
        },
        "host": {
            "type": "string",
            "maxLength": MAX_HOST,
            "pattern": "^https?://",
            "description": "http:// or https:// base URL: a host name or [IPv6] address, an optional "
            "port and path, no ?query or #fragment",
        },
        "run_time": {
            "oneOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_RUN_TIME},
                {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?|([0-9]+(\\.[0-9]+)?(ms|h|m|s))+)$"},
            ],
            "description": f"seconds (at most {MAX_RUN_TIME:.0f}: 366 days), or 30s / 5m / 1h30m",
        },
        "rate": {
            "type": "number",
            "minimum": MIN_RATE,
            "maximum": MAX_RATE,
            "description": "open model: iterations/s",
        },
    },
    required=False,
)
ERROR = _obj({"error": _STR, "field": _STR}, required=False)
EXTENSIONS = _obj(
    {
        "tabs": {
            "type": "array",
            "items": _obj(
                {"title": _STR, "route": _STR, "columns": {"type": "array", "items": {"type": "object"}}}
            ),
        },
        "routes": {
            "type": "array",
            "items": _obj(
                {
                    "rule": _STR,
                    "methods": {"type": "array", "items": _STR},
                    "auth_required": {"type": "boolean"},
                }
            ),
        },
        "login": {"type": "boolean"},
    }
)
RESULT = _obj({"success": {"type": "boolean"}, "message": _STR, "state": _STR})


def _reply(description: str, schema: dict[str, Any] | None, kind: str = "application/json") -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = {kind: {"schema": schema}}
    return out


def _refusals(public: bool = False) -> dict[str, Any]:
    """What any route may answer before it runs: a foreign Host, a missing token."""
    out = {"421": _reply("the Host header is not this server (see --web-allow-host)", _ref("Error"))}
    if not public:
        out["401"] = _reply("missing or wrong token (with --web-auth-token)", _ref("Error"))
    return out


def _get(
    summary: str, schema: dict[str, Any] | None, kind: str = "application/json", public: bool = False
) -> dict[str, Any]:
    responses = {"200": _reply("OK", schema or _STR, kind), **_refusals(public)}
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if public:
        op["security"] = []
    return {"get": op}


def _query(path_item: dict[str, Any], not_found: str | None = None, **params: str) -> dict[str, Any]:
    """``path_item`` with optional string query parameters, described by ``params``; a bad one is
    a 400, and ``not_found`` describes the route's 404 when what the query names does not exist."""
    get = path_item["get"]
    get["parameters"] = [
        {"name": name, "in": "query", "required": False, "schema": _STR, "description": text}
        for name, text in params.items()
    ]
    get["responses"]["400"] = _reply("an unknown or malformed query parameter, named", _ref("Error"))
    if not_found is not None:
        get["responses"]["404"] = _reply(not_found, _ref("Error"))
    return path_item


def _post(summary: str, body: dict[str, Any] | None) -> dict[str, Any]:
    errors = {
        "400": _reply(
            f"a bad value, or a body nested deeper than {MAX_DEPTH} levels; the message names the field",
            _ref("Error"),
        ),
        "403": _reply("the Origin header is another site's (see --web-allow-host)", _ref("Error")),
        "409": _reply("refused in the current state (e.g. no worker connected)", _ref("Error")),
        "413": _reply(f"the body is larger than {MAX_BODY} bytes", _ref("Error")),
        "415": _reply("the body is not application/json", _ref("Error")),
        **_refusals(),
    }
    op: dict[str, Any] = {"summary": summary, "responses": {"200": _reply("done", _ref("Result")), **errors}}
    op["requestBody"] = {
        "required": body is not None,
        "content": {"application/json": {"schema": body or {"type": "object"}}},
    }
    return {"post": op}


def _login_paths() -> dict[str, Any]:
    """--web-login's form (web/login.py): public, as the token is what it asks for."""
    form = {"type": "object", "properties": {"token": _STR}, "required": ["token"]}
    responses = {
        "200": _reply("logged in (JSON body): the cookie is set", _ref("Result")),
        "303": _reply("from the form: to / with the cookie, or back to /login?failed", None),
        "400": _reply("token is not a string", _ref("Error")),
        "401": _reply("wrong token (JSON body)", _ref("Error")),
        "403": _reply("the Origin header is another site's", _ref("Error")),
        "413": _reply(f"the body is larger than {MAX_BODY} bytes", _ref("Error")),
        "415": _reply("neither a form nor JSON", _ref("Error")),
        **_refusals(public=True),
    }
    post = {
        "summary": "trade the token for an HTTP-only cookie",
        "security": [],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": form},
                "application/json": {"schema": form},
            },
        },
        "responses": responses,
    }
    logout = {"summary": "clear the cookie", "security": [], "responses": {"303": _reply("to /login", None)}}
    return {
        "/login": {**_get("the login form", None, "text/html", public=True), "post": post},
        "/logout": {"post": logout},
    }


def openapi_document(web_login: bool = False) -> dict[str, Any]:
    """A fresh copy of the document (with the login routes when --web-login serves them)."""
    document = _document()
    if web_login:
        document["paths"].update(_login_paths())
    return document


def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fastswarm status endpoint",
            "version": "1",
            "description": "Live stats, Prometheus metrics, reports and run control of a fastswarm "
            "master. With --web-auth-token every route but /healthz needs 'Authorization: Bearer "
            "TOKEN'. Only requests whose Host is this server are served, and a POST from a page of "
            "another site is refused (--web-allow-host lifts both). State changes only by POST with "
            "a JSON body. A client's input never gets a 5xx.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Latency": LATENCY,
                "Endpoint": ENDPOINT,
                "Worker": WORKER,
                "Refusal": REFUSAL,
                "Snapshot": SNAPSHOT,
                "History": HISTORY,
                "Distribution": DISTRIBUTION,
                "Logs": LOGS,
                "Swarm": SWARM,
                "Error": ERROR,
                "Result": RESULT,
                "Extensions": EXTENSIONS,
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/": _get("the web UI", None, "text/html"),
            "/healthz": _get("liveness; never needs a token", _obj({"status": _STR}), public=True),
            "/stats": _get("live snapshot", _ref("Snapshot")),
            "/stats/history": _get(
                "per-second series, oldest first, at most `limit` points", _ref("History")
            ),
            "/stats/distribution": _query(
                _get("latency percentile curve from the merged HDR histograms", _ref("Distribution")),
                not_found="no such endpoint in the stats",
                name="endpoint name (absent: all requests)",
                method="HTTP method, needed when the name is used with several",
            ),
            "/logs": _query(
                _get("the master's last log lines, oldest first", _ref("Logs")),
                after="only lines with a larger seq (default 0)",
            ),
            "/report.json": _get("the --json report of the stats so far", {"type": "object"}),
            "/metrics": _get("Prometheus text exposition 0.0.4", None, "text/plain"),
            "/openapi.json": _get("this document", {"type": "object"}),
            "/report.html": _get("self-contained HTML report of the stats so far", None, "text/html"),
            "/stats.csv": _get("stats in Locust's _stats.csv columns", None, "text/csv"),
            "/errors.csv": _get("failures in Locust's _failures.csv columns", None, "text/csv"),
            "/swarm": _post("start (or re-target) the test", _ref("Swarm")),
            "/stop": _post("stop the users; the master keeps serving", None),
            "/reset": _post("forget the stats so far", None),
            "/extensions": _get(
                "the tabs and routes the tasks file added (environment.web_ui)", _ref("Extensions")
            ),
        },
    }
