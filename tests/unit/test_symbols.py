"""The symbol index editors read (checker.symbols), and the loader's editor entry points: one module with
its imports, unsaved text, and the rules root a file's imports are written against."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework_dsl.checker.symbols import index_program
from framework_dsl.diagnostics import has_errors
from framework_dsl.loader import find_import_root, imported_modules, load_module

LEVELS = """\
# Levels shared by the demo frameworks.
scale level "Level":
  high "High"
  > low "Low"
"""

DEMO = """\
framework demo "Demo"
  effective from 2020-01-01

import level from shared.levels

record visit "Visit":
  when_seen: date "The day of the visit"

evidence:
  score: integer "The score out of ten"
  visits: list of visit "Every visit"

judgement overall: level
  high when score > 3 and any v in visits where v.when_seen > 2020-01-01 because "high"
  otherwise low because "low"
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "levels.fw").write_text(LEVELS, encoding="utf-8")
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "demo.fw").write_text(DEMO, encoding="utf-8")
    return tmp_path


def test_the_rules_root_is_the_folder_the_imports_resolve_under(root: Path) -> None:
    """A file in demo/ importing shared.levels has its root one folder up; a file importing nothing, its own."""
    assert find_import_root(root / "demo" / "demo.fw", ["shared.levels"]) == root.resolve()
    assert find_import_root(root / "shared" / "levels.fw", []) == (root / "shared").resolve()
    assert find_import_root(root / "demo" / "demo.fw", ["nowhere.at_all"]) == (root / "demo").resolve()


def test_load_module_reads_the_file_its_imports_and_unsaved_text(root: Path) -> None:
    """Only the file and what it imports are loaded, and an override replaces a file's text on disk."""
    demo = root / "demo" / "demo.fw"
    loaded = load_module(demo, root)
    assert sorted(f.module for f in loaded.files) == ["demo.demo", "shared.levels"]
    assert imported_modules(loaded.files[0].tree) == ["shared.levels"]
    broken = DEMO.replace("high when", "hihg when")
    _, diagnostics, _ = index_program(load_module(demo, root, overrides={demo: broken}))
    assert has_errors(diagnostics)
    assert [(d.code, d.span.line if d.span else 0, d.hint) for d in diagnostics] == [
        ("outcomes.unknown", 14, "did you mean `high`?")
    ]
    assert loaded.paths[loaded.files[0].source.path] == demo.resolve()


def test_the_index_knows_what_each_name_means_and_where_it_is_declared(root: Path) -> None:
    """A grade used in a clause, a field, a loop variable's field and a judgement are each found with their
    declaration (across the import for the grade) and their words."""
    demo = (root / "demo" / "demo.fw").resolve()
    _, diagnostics, index = index_program(load_module(demo, root))
    assert not has_errors(diagnostics)

    def at(word: str, skip: int = 0) -> tuple[str, str, str | None, str | None]:
        offset = DEMO.index(word) + skip
        found = index.at(demo, offset)
        assert found is not None, word
        symbol = found.symbol
        return symbol.kind, symbol.detail, symbol.doc, symbol.span.location if symbol.span else None

    assert at("high when") == ("grade", "grade high of scale level", "High", f"{root.name}/shared/levels.fw:3:3")
    assert at("score >") == (
        "field",
        "evidence field score: integer",
        "The score out of ten",
        f"{root.name}/demo/demo.fw:10:3",
    )
    assert at("when_seen >") == (
        "field",
        "field when_seen of visit: date",
        "The day of the visit",
        f"{root.name}/demo/demo.fw:7:3",
    )
    assert at("v.when") == ("variable", "variable v: visit", None, f"{root.name}/demo/demo.fw:14:31")
    assert at("overall") == ("judgement", "judgement overall: level", None, f"{root.name}/demo/demo.fw:13:11")
    module = index.at(demo, DEMO.index("shared.levels") + 8)
    assert module is not None and module.symbol.kind == "module"
    assert module.symbol.file == (root / "shared" / "levels.fw").resolve()
    assert module.symbol.doc is not None and "Levels shared by the demo frameworks." in module.symbol.doc


def test_the_index_lists_what_may_be_written_and_what_follows_a_dot(root: Path) -> None:
    """Names in scope include the imported scale and its grades; after `v.` come the record's fields."""
    demo = (root / "demo" / "demo.fw").resolve()
    _, _, index = index_program(load_module(demo, root))
    visible = {(s.kind, s.name) for s in index.visible(demo)}
    assert {("scale", "level"), ("grade", "high"), ("grade", "low"), ("field", "score")} <= visible
    assert {("judgement", "overall"), ("record", "visit")} <= visible
    assert [s.name for s in index.members(demo, ["level"], 0)] == ["high", "low"]
    assert [s.name for s in index.members(demo, ["v"], DEMO.index("v.when"))] == ["when_seen"]
    assert index.members(demo, ["nothing"], 0) == []
