"""Groups of click options that live beside the command in their own modules (``main.py`` would
otherwise outgrow one screenful of options), and the small helpers their settings share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

F = Callable[..., Any]


def group(*options: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator applying ``options`` in the order written (the first is the first in --help)."""

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def split_words(values: tuple[str, ...]) -> tuple[str, ...]:
    """Repeatable, comma-separated values (``-T a,b -T c``) as one tuple of words."""
    return tuple(word.strip() for value in values for word in value.split(",") if word.strip())
