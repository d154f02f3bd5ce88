"""What the HTML report shows beyond the aggregator's numbers: the run's settings and its checks.

The master (a layer above ``stats/``) knows the Config and judges ``--check``; it hands the
report these plain rows, so the report neither imports the master nor sees a whole Config
(and so cannot print a secret it was never given).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """One ``--check`` as judged: its expression, what was measured (``"p99 = 12.3 ms"``)."""

    expr: str
    observed: str
    passed: bool


@dataclass(frozen=True, slots=True)
class ReportExtras:
    """``settings``: (label, value) rows, already free of secrets; ``ended_at`` (epoch s) is None
    while the run goes on; ``checks_final``: judged on the run's merged result, not mid-run."""

    settings: tuple[tuple[str, str], ...] = ()
    checks: tuple[CheckOutcome, ...] = ()
    checks_final: bool = True
    ended_at: float | None = None

    def __post_init__(self) -> None:
        if any(len(row) != 2 for row in self.settings):
            raise ValueError("ReportExtras.settings: each row is (label, value)")
