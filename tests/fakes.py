"""Stand-ins for a recorder and the events catalogue, for HTTP client tests that need no worker."""

from __future__ import annotations

from typing import Any


class FakeRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int, int, str | None]] = []

    def record(self, method: str, name: str, elapsed_us: int, length: int, error: str | None = None) -> None:
        self.calls.append((method, name, elapsed_us, length, error))


class FakeHook:
    """Truthy only with listeners, like events.RequestHook; notify calls only the listeners."""

    def __init__(self) -> None:
        self.listeners: list[Any] = []

    def __bool__(self) -> bool:
        return bool(self.listeners)

    def notify(self, **kwargs: Any) -> None:
        for fn in self.listeners:
            fn(**kwargs)


class FakeEvents:
    def __init__(self) -> None:
        self.request = FakeHook()


class Wire:
    """Stands in for the MasterChannel: keeps what the master sends, to whom."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, Any]] = []

    def send(self, identity: bytes, message: Any) -> bool:
        self.sent.append((identity, message))
        return True

    def take(self, kind: type | None = None) -> list[tuple[bytes, Any]]:
        out = [(i, m) for i, m in self.sent if kind is None or isinstance(m, kind)]
        self.sent = []
        return out
