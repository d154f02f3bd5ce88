"""stats/ rules from docs/architecture.md and STYLE.md, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

STATS = Path(__file__).resolve().parent.parent / "fastswarm" / "stats"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_stats_never_imports_zmq_or_gevent_and_only_histogram_imports_hdrh() -> None:
    files = sorted(STATS.glob("*.py"))
    assert files
    for path in files:
        imported = _imports(path)
        assert not imported & {"zmq", "gevent"}, path.name
        if path.name != "histogram.py":
            assert "hdrh" not in imported, path.name


def test_files_stay_small_and_future_annotated() -> None:
    for path in STATS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 400, path.name
        assert "from __future__ import annotations" in text, path.name
