"""The tasks file's custom messages (``register_message``): handlers by type, called safely.

A handler is the tasks file's code: one that is missing or raises is logged (rate-limited,
as a misbehaving peer is) and the inbox takes the next message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import gevent

from fastswarm.ipc.messages import Custom, CustomMessage
from fastswarm.ipc.peer_log import ThrottledLog
from fastswarm.user.env import Environment

MessageHandler = Callable[..., None]


class CustomHandlers:
    """Handlers of custom messages by type, called as ``listener(environment=, msg=)``."""

    def __init__(self, environment: Environment, peer_log: ThrottledLog) -> None:
        self.environment = environment
        self._log = peer_log
        self._handlers: dict[str, MessageHandler] = {}

    def register(self, msg_type: str, listener: MessageHandler, concurrent: bool = False) -> None:
        """``concurrent=True`` runs it in its own greenlet, so a slow handler does not hold up
        the inbox (Locust's flag)."""
        self._handlers[msg_type] = (lambda **kw: gevent.spawn(listener, **kw)) if concurrent else listener

    def dispatch(self, message: Custom, sender_id: str, sender: str) -> None:
        """Hand ``message`` to its type's handler as from ``sender_id`` (``sender`` names it in the log)."""
        key = ("custom", message.type[:40])
        handler = self._handlers.get(message.type)
        if handler is None:
            self._log.log(logging.WARNING, key, "no handler for custom message %r", message.type)
            return
        try:
            handler(environment=self.environment, msg=CustomMessage(message.type, message.data, sender_id))
        except Exception:  # noqa: BLE001 - the tasks file's code: logged, the inbox carries on
            self._log.log(
                logging.ERROR,
                key,
                "the handler of custom message %r (from %s) raised; carrying on",
                message.type,
                sender,
                exc_info=True,
            )
