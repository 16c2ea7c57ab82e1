"""Where the packaged grammar and bundled rules live.

In an installed wheel both sit inside the package (`framework_dsl/grammar`,
`framework_dsl/rules`, force-included by `pyproject.toml`). In a source checkout
(an editable install, or tests run against `src/`) they sit at the repository root,
two levels above this file.

`find_rules_root` says which folder a rule file or folder given on the command line
belongs to; it lives here, before the parser, so the rules cache can key on the whole
root without importing the parser.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent

# An empty file of this name marks the top folder of a rules tree (the bundled `rules/`
# has one); its contents are not read.
ROOT_MARKER = "rules-root"


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


def find_rules_root(path: Path) -> Path:
    """The rules root of a rule file or folder: where its imports are resolved from.

    It is the nearest folder, from the given folder (or the file's folder) upwards, that
    holds a `rules-root` file; with none there, the given folder itself. So
    `rules/cqc` (inside `rules/`, which holds the marker) has the root `rules/`, and
    `import shared.scales` reads `rules/shared/scales.fw`.
    """
    start = path.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ROOT_MARKER).is_file():
            return candidate
    return folder
