"""``Measurement``: what ``with user.measure(name) as m`` yields (its own module, so that
``task.py`` can name it without importing ``users.py``)."""

from __future__ import annotations

from fastswarm.exception import CatchResponseError


class Measurement:
    """What ``with user.measure(name) as m`` yields: ``m.failure(msg)`` marks the block failed."""

    __slots__ = ("name", "request_type", "error")

    def __init__(self, name: str, request_type: str) -> None:
        self.name = name
        self.request_type = request_type
        self.error: BaseException | None = None

    def failure(self, message: str) -> None:
        """Record this block as failed with ``message`` (it is not raised)."""
        self.error = CatchResponseError(message)

    def success(self) -> None:
        """Undo an earlier ``failure``."""
        self.error = None
