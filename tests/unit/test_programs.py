"""Stored programs: compiled once, loaded in later processes, checked as they load, never taken for other rules.

A framework's compiled decisions and fused functions are kept as programs (marshalled code,
the helpers it takes, its constants) in the wheel's bundle or the per-user cache
(`framework_dsl.programs`). Loaded back they decide exactly as a fresh compile does; code
that is not what the generator compiles is refused before it runs (`safety.check_code`);
a program that does not fit its framework is compiled afresh.
"""

from __future__ import annotations

import ast
import datetime
import marshal
import pickle
from pathlib import Path
from typing import Any

import pytest

from framework_dsl import bundler, check_rules
from framework_dsl.engine import codegen, fusion
from framework_dsl.engine.builder import Program
from framework_dsl.engine.codegen import FrameworkProgram, framework_program, load_framework
from framework_dsl.engine.safety import UnsafeCodeError, check_code, load_code
from framework_dsl.programs import ProgramStore
from framework_dsl.ruleset import RuleSet

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").rglob("*.json"))
FIXED = datetime.date(2024, 6, 1)


@pytest.fixture(scope="module")
def checked() -> RuleSet:
    rule_set, diagnostics = check_rules(str(REPO / "rules"))
    assert rule_set is not None, diagnostics
    return rule_set.with_clock(lambda: FIXED)


class _Recording(ProgramStore):
    """A store answering from `programs` (pickled, as the bundle holds them), recording what was asked and kept."""

    def __init__(self, digest: str, programs: dict[str, Any]) -> None:
        super().__init__(digest, {"program:" + key: pickle.dumps(value) for key, value in programs.items()})
        self.asked: list[str] = []
        self.kept: list[str] = []

    def get(self, key: str) -> Any | None:
        self.asked.append(key)
        return super().get(key)

    def put(self, key: str, program: Any) -> None:
        self.kept.append(key)


def _with_store(rule_set: RuleSet, store: ProgramStore) -> RuleSet:
    return RuleSet(frameworks=rule_set.frameworks, digest=rule_set.digest, clock=rule_set.clock, programs=store)


def test_stored_programs_decide_every_example_as_a_fresh_compile_does(checked: RuleSet) -> None:
    """Every framework's decisions and fused functions, plain and tracing, pickled and loaded back:
    the same bytes for every bundled example, with and without explain, as compiling now gives."""
    store = _Recording(checked.digest, bundler.programs(checked.frameworks, checked.digest))
    loaded = _with_store(checked, store).prepare(explain=True)
    fresh = RuleSet(frameworks=checked.frameworks, digest=checked.digest, clock=checked.clock).prepare(explain=True)
    fused = {key for key in store.asked if key.startswith("fused:")}
    assert fused >= {"fused:clas", "fused:clas:tracing", "fused:ilacs", "fused:ncpi"}
    assert store.kept == []  # every program was found
    assert all(loaded.compiled(name, tracing=t).stored for name in checked.frameworks for t in (False, True))
    assert len(EXAMPLES) > 20
    for path in EXAMPLES:
        text = path.read_bytes()
        for explain in (False, True):
            expected = fresh.evaluate_json(text, source=path.name, explain=explain).to_json_bytes(explain=explain)
            assert loaded.evaluate_json(text, source=path.name, explain=explain).to_json_bytes(explain=explain) == (
                expected
            ), path


def test_a_loaded_framework_generates_the_same_module_when_asked(checked: RuleSet) -> None:
    framework = checked.frameworks["cqc"]
    tree, stored = framework_program(framework)
    loaded = load_framework(framework, pickle.loads(pickle.dumps(stored)))
    assert loaded.stored and not load_framework(framework, stored, tree).stored
    assert ast.dump(loaded.module) == ast.dump(tree)


def test_a_program_that_does_not_fit_its_framework_is_compiled_afresh(checked: RuleSet) -> None:
    """clas's program under cqc's key (a stale or foreign entry): refused, compiled now and kept."""
    _, clas = framework_program(checked.frameworks["clas"])
    with pytest.raises(ValueError, match="not this framework's"):
        load_framework(checked.frameworks["cqc"], clas)
    store = _Recording(checked.digest, {"decisions:cqc": clas, "fused:clas": "not a program"})
    rule_set = _with_store(checked, store)
    assert not rule_set.compiled("cqc").stored
    assert store.kept == ["decisions:cqc"]
    text = (REPO / "examples" / "cqc" / "nhs-trust-offences.json").read_bytes()
    assert rule_set.evaluate_json(text).to_json_bytes() == checked.evaluate_json(text).to_json_bytes()
    rule_set.prepare()
    assert "fused:clas" in store.kept  # what was stored there is not a program: made afresh


def test_programs_are_kept_in_the_user_cache_for_the_next_process(
    write_rules: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FRAMEWORK_DSL_NO_CACHE", raising=False)
    monkeypatch.setenv("FRAMEWORK_DSL_NO_BUNDLE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rules = 'framework demo "Demo" effective from 2020-01-01\noutcome ok "OK"\njudgement j: ok\n'
    root = write_rules({"demo.fw": rules + '  otherwise ok because "fine"\n'})
    first, _ = check_rules(root)
    assert first is not None and not first.compiled("demo").stored
    assert len(list((tmp_path / "cache" / "framework-dsl").glob("program-*.pickle"))) == 1
    again, _ = check_rules(root)
    assert again is not None and again.origin == "cache" and again.compiled("demo").stored
    assert again.evaluate({"framework": "demo"}, "2021-01-01").judgements["j"].reason == "fine"


def test_a_program_kept_for_rules_shown_by_one_path_is_not_taken_for_them_shown_by_another(
    write_rules: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bytes, loaded through a relative path from two folders: each run's `rule`
    names the file as that run shows it (the reference engine's), not as the run that
    compiled the program did: a program holds its clauses' locations."""
    monkeypatch.delenv("FRAMEWORK_DSL_NO_CACHE", raising=False)
    monkeypatch.setenv("FRAMEWORK_DSL_NO_BUNDLE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rules = 'framework demo "Demo" effective from 2020-01-01\noutcome ok "OK"\njudgement j: ok\n'
    root = Path(write_rules({"demo.fw": rules + '  otherwise ok because "fine"\n'}))
    shown = []
    for folder, path in ((root.parent, root.name), (root.parent.parent, f"{root.parent.name}/{root.name}")):
        monkeypatch.chdir(folder)
        rule_set, _ = check_rules(path)
        assert rule_set is not None
        evidence = {"framework": "demo"}
        for _ in range(10):  # past the count at which the framework's fused function is made
            compiled = rule_set.evaluate(evidence, "2021-01-01")
        reference = rule_set.evaluate(evidence, "2021-01-01", engine="reference")
        assert compiled.to_json_bytes() == reference.to_json_bytes()
        shown.append(compiled.judgements["j"].rule)
    assert shown == [f"{root.name}/demo.fw:4", f"{root.parent.name}/{root.name}/demo.fw:4"]


# ---------------------------------------------------------------- the code check


def _factory(source: str) -> bytes:
    return marshal.dumps(compile(source, "<test>", "exec"))


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("import os\ndef m():\n    return ()\n", "exactly one factory"),
        ("def m():\n    def v1(s):\n        return s.__class__\n    return (v1,)\n", "reads `__class__`"),
        ("def m():\n    def v1(s):\n        return open\n    return (v1,)\n", "reads `open`"),
        ("def m():\n    def evil(s):\n        return s\n    return (evil,)\n", "not one the generator makes"),
        ("def m():\n    def v1(s):\n        return 1.5\n    return (v1,)\n", "constant of type float"),
        ("def m():\n    def v1(s):\n        import os\n        return os\n    return (v1,)\n", "reads `os`"),
        (
            "def m():\n    def v1(s):\n        x = s\n        return x\n    return (v1,)\n",
            "not one the generator makes",
        ),
        ("def n():\n    return ()\n", "exactly one factory"),
        ("def m():\n    def v1(s):\n        return h_nothing\n    return (v1,)\n", "reads `h_nothing`"),
        ("def m():\n    def v1(s):\n        global k0\n        k0 = s\n    return (v1,)\n", "STORE_GLOBAL"),
        ("def m():\n    def v1(s):\n        global k0\n        del k0\n    return (v1,)\n", "DELETE_GLOBAL"),
    ],
)
def test_stored_code_that_the_generator_would_not_make_is_refused(source: str, why: str) -> None:
    with pytest.raises(UnsafeCodeError, match=why):
        load_code(_factory(source), codegen.helpers(), (), ())


def test_loaded_code_reads_its_helpers_and_constants_as_globals_of_its_own() -> None:
    """Each program loads into a namespace of its own: its constants, the helpers it uses, no builtins."""
    source = "def m():\n    def v1(s):\n        return h_len(k0) + k1\n    return (v1,)\n"
    helpers = codegen.helpers()
    (first,) = load_code(_factory(source), helpers, ("len",), ("abc", 1))
    (second,) = load_code(_factory(source), helpers, ("len",), ("a", 10))
    assert (first(None), second(None)) == (4, 11)
    assert first.__globals__ is not second.__globals__
    assert first.__globals__["__builtins__"] == {}
    assert sorted(first.__globals__) == ["__builtins__", "h_len", "k0", "k1", "m"]


def test_what_the_generator_compiles_passes_the_code_check(checked: RuleSet) -> None:
    for name, framework in checked.frameworks.items():
        for tracing in (False, True):
            _, stored = framework_program(framework, tracing=tracing)
            check_code(marshal.loads(stored.program.code), codegen.helpers())
        made = fusion.fused_program(framework, checked.compiled(name), checked.digest)
        if made is not None:
            check_code(marshal.loads(made[1].code), fusion.helpers())


def test_stored_bytes_that_are_not_code_or_take_unknown_helpers_are_refused(checked: RuleSet) -> None:
    with pytest.raises(UnsafeCodeError, match="does not load"):
        load_code(b"\x00garbage", codegen.helpers(), (), ())
    with pytest.raises(UnsafeCodeError, match="not a code object"):
        load_code(marshal.dumps((1, 2)), codegen.helpers(), (), ())
    _, stored = framework_program(checked.frameworks["clas"])
    foreign = Program(stored.program.code, (*stored.program.used, "system"), stored.program.constants)
    with pytest.raises(UnsafeCodeError, match="helper the table does not have"):
        load_framework(checked.frameworks["clas"], FrameworkProgram(foreign, *_layout(stored)))


def _layout(stored: FrameworkProgram) -> tuple[Any, ...]:
    return (stored.definitions, stored.decisions, stored.sources, stored.referenced, stored.tracing)
