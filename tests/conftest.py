"""Shared fixtures: rule sets, rule text checked in memory, and text snapshots.

Snapshots are plain-text files, one per case (`tests/**/__snapshots__/<test>/<case>.txt`),
so a diff reads like the output itself. Update them with `pytest --snapshot-update`
and review the diff like code.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from framework_dsl import RuleSet, check_rules, load_rules
from framework_dsl.diagnostics import Diagnostic

# Tests build many throwaway rule sets; keep them out of the user's cache. The cache
# itself is tested with a private cache folder (tests/unit/test_cache.py).
os.environ["FRAMEWORK_DSL_NO_CACHE"] = "1"
# The key that signs cache entries lives in the state folder: tests that switch the cache
# on make theirs in a folder of the session's own, never in the user's.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="framework-dsl-state-")

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
EXAMPLES = REPO / "examples"

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("long", deadline=None, max_examples=5000, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


class TextSnapshot(SingleFileSnapshotExtension):
    """One UTF-8 text file per snapshot, named after the test case."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"

    def serialize(self, data: object, **kwargs: object) -> str:
        return str(data)


@pytest.fixture
def text_snapshot(snapshot):  # type: ignore[no-untyped-def]
    """A syrupy snapshot stored as a plain-text file."""
    return snapshot.use_extension(TextSnapshot)


@pytest.fixture(scope="session")
def bundled() -> RuleSet:
    """The rules shipped with the package, loaded once per test session."""
    return load_rules()


@pytest.fixture
def write_rules(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write rule files into a fresh rules root: write_rules({"a.fw": "..."}) -> root."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "rules"
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write


@pytest.fixture
def check_text(write_rules):  # type: ignore[no-untyped-def]
    """Check one rule file's text: returns (rule set or None, diagnostics)."""

    def check(text: str, name: str = "test.fw") -> tuple[RuleSet | None, list[Diagnostic]]:
        root = write_rules({name: text})
        return check_rules(root)

    return check
