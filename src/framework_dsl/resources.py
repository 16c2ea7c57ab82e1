"""Where the packaged grammar and bundled rules live.

In an installed wheel both sit inside the package (`framework_dsl/grammar`,
`framework_dsl/rules`, force-included by `pyproject.toml`). In a source checkout
(an editable install, or tests run against `src/`) they sit at the repository root,
two levels above this file.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    packaged = _PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent.parent / name


def grammar_path() -> Path:
    """The Lark grammar file of the rule language."""
    return _locate("grammar") / "framework.lark"


def bundled_rules_root() -> Path:
    """The folder of rule files shipped with the package."""
    return _locate("rules")
