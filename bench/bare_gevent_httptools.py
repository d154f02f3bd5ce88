"""Floor for any gevent HTTP client: N greenlets on gevent sockets, prebuilt request bytes, responses
parsed with httptools, keep-alive. Nothing a real client does less of is left to remove.

    python bench/bare_gevent_httptools.py --port 8080 --users 50 --duration 10
"""

from __future__ import annotations

import socket
import time

import httptools
from bare_common import Counter, parse_args, run_loops
from gevent import socket as gsocket


class _Response:
    __slots__ = ("complete", "status")

    def __init__(self) -> None:
        self.complete = False
        self.status = 0

    def on_message_complete(self) -> None:
        self.complete = True


def main() -> None:
    args = parse_args(__doc__ or "")
    request = f"GET / HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n\r\n".encode("ascii")

    def worker(counter: Counter, deadline: float) -> None:
        sock = gsocket.create_connection((args.host, args.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        resp = _Response()
        parser = httptools.HttpResponseParser(resp)
        try:
            while time.monotonic() < deadline:
                sock.sendall(request)
                resp.complete = False
                while not resp.complete:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionError("server closed the connection")
                    parser.feed_data(data)
                if parser.get_status_code() == 200:
                    counter.requests += 1
                else:
                    counter.failures += 1
        finally:
            sock.close()

    run_loops(args, worker)


if __name__ == "__main__":
    main()
