"""The precompiled bundle: used for exactly the rule files it was built from, and the same results as checking.

Each test builds its bundle from a copy of the bundled rules and reads it at another copy
(as a wheel is built in one folder and installed in another); the wheel itself is tested
in tests/test_packaging.py.
"""

from __future__ import annotations

import datetime
import io
import pickle
import shutil
from pathlib import Path

import lark
import pytest

from framework_dsl import bundle, bundler, grammar
from framework_dsl.cache import ENGINE_VERSION
from framework_dsl.ruleset import RuleSet, check_rules

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").rglob("*.json"))
FIXED = datetime.date(2024, 6, 1)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """(the folder the bundle was built in, the bundle's bytes)."""
    folder = tmp_path_factory.mktemp("build")
    shutil.copytree(REPO / "rules", folder / "rules")
    return folder / "rules", bundler.build(folder / "rules")


@pytest.fixture
def installed(built: tuple[Path, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the rules elsewhere, taken as the installed bundled rules, with the bundle beside it."""
    _, blob = built
    root = tmp_path / "site" / "rules"
    shutil.copytree(REPO / "rules", root)
    (tmp_path / "bundle.bin").write_bytes(blob)
    monkeypatch.setattr(bundle, "bundled_rules_root", lambda: root)
    monkeypatch.setattr(bundle, "bundle_path", lambda: tmp_path / "bundle.bin")
    monkeypatch.delenv("FRAMEWORK_DSL_NO_BUNDLE", raising=False)
    return root


def _checked() -> RuleSet:
    """The bundled rules parsed and checked now (the tests run with the user cache off)."""
    rule_set, diagnostics = check_rules(str(REPO / "rules"))
    assert rule_set is not None, diagnostics
    assert rule_set.origin == "checked"
    return rule_set


def test_the_bundled_rules_come_from_the_bundle(installed: Path) -> None:
    rule_set, diagnostics = check_rules()
    assert rule_set is not None
    assert rule_set.origin == "bundle"
    fresh = _checked()
    assert sorted(rule_set.frameworks) == sorted(fresh.frameworks)
    assert rule_set.digest == fresh.digest
    assert [d.code for d in diagnostics] == [d.code for d in fresh.diagnostics]
    # The bundled root named by its absolute path is the same request.
    again, _ = check_rules(str(installed))
    assert again is not None and again.origin == "bundle"
    assert rule_set.with_clock(lambda: FIXED).origin == "bundle"


def test_examples_point_at_the_installed_root_not_the_build_folder(installed: Path, built: tuple[Path, bytes]) -> None:
    rule_set, _ = check_rules()
    assert rule_set is not None and rule_set.origin == "bundle"
    roots = {e.evidence_root for f in rule_set.frameworks.values() for e in f.examples}
    assert roots == {str(installed.resolve())}
    assert str(built[0]).encode() in built[1]  # it was built elsewhere, and moved on loading


def test_only_the_frameworks_used_are_unpickled(installed: Path) -> None:
    rule_set, _ = check_rules()
    assert rule_set is not None and rule_set.origin == "bundle"
    frameworks = rule_set.frameworks
    assert isinstance(frameworks, bundle.LazyFrameworks)
    assert frameworks.loaded() == ()
    assert "clas" in frameworks and "nothing" not in frameworks and len(frameworks) == len(_checked().frameworks)
    text = (REPO / "examples" / "clas" / "complete.json").read_bytes()
    assert rule_set.evaluate_json(text, as_of=FIXED).status == "evaluated"
    assert frameworks.loaded() == ("clas",)
    with pytest.raises(KeyError):
        frameworks["nothing"]
    assert rule_set.with_clock(lambda: FIXED).frameworks is frameworks
    every = dict(frameworks)
    assert frameworks.loaded() == tuple(every) == tuple(_checked().frameworks)  # in the checker's order
    assert all(every[name].name == name for name in every)
    copied = pickle.loads(pickle.dumps(frameworks))
    assert type(copied) is dict and list(copied) == list(every)


def test_a_given_file_example_moves_with_the_rules_and_is_checked_again(tmp_path: Path) -> None:
    build, site = tmp_path / "build" / "rules", tmp_path / "site" / "rules"
    shutil.copytree(REPO / "rules", build)
    evidence = (REPO / "examples" / "clas" / "complete.json").read_text(encoding="utf-8")
    (build / "clas" / "complete.json").write_text(evidence, "utf-8")
    clas = build / "clas" / "clas.fw"
    example = '\nexample "From a file"\n  given file "complete.json"\n  expect coverage = complete\n'
    clas.write_text(clas.read_text(encoding="utf-8") + example, "utf-8")
    (tmp_path / "bundle.bin").write_bytes(bundler.build(build))
    shutil.copytree(build, site)
    found = bundle.load_rules_section(site, tmp_path / "bundle.bin")
    assert found is not None
    (moved,) = (e for e in found.frameworks["clas"].examples if e.evidence_path is not None)
    assert moved.evidence_path == str((site / "clas" / "complete.json").resolve())
    assert moved.evidence_root == str(site.resolve())
    (site / "clas" / "complete.json").unlink()
    (site / "clas" / "complete.json").symlink_to(build / "clas" / "complete.json")  # now a link out of the root
    assert bundle.load_rules_section(site, tmp_path / "bundle.bin") is None


def test_other_rules_are_never_answered_from_the_bundle(installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(installed.parent)
    relative, _ = check_rules("rules")  # shown relative to the current folder: not what was bundled
    assert relative is not None and relative.origin == "checked"
    one, _ = check_rules(str(installed / "clas" / "clas.fw"))
    assert one is not None and one.origin == "checked"


def test_an_edited_rule_file_is_checked_afresh(installed: Path) -> None:
    clas = installed / "clas" / "clas.fw"
    text = clas.read_text(encoding="utf-8")
    assert '"CQC review of health services' in text
    clas.write_text(text.replace('"CQC review of health services', '"Edited review of health services'), "utf-8")
    rule_set, _ = check_rules()
    assert rule_set is not None
    assert rule_set.origin == "checked"
    assert rule_set.frameworks["clas"].title.startswith("Edited review")


@pytest.mark.parametrize("change", ["new file", "removed file"])
def test_an_added_or_removed_rule_file_is_checked_afresh(installed: Path, change: str) -> None:
    if change == "new file":
        (installed / "clas" / "more.fw").write_text("# nothing yet\n", "utf-8")
    else:
        (installed / "saas" / "saas.fw").unlink()
    rule_set, _ = check_rules()
    assert rule_set is not None and rule_set.origin == "checked"


def test_results_are_byte_identical_with_and_without_the_bundle(installed: Path) -> None:
    from_bundle, _ = check_rules()
    assert from_bundle is not None and from_bundle.origin == "bundle"
    fresh = _checked().with_clock(lambda: FIXED)
    # Every framework's decisions and fused functions, plain and tracing, from the bundle's programs.
    from_bundle = from_bundle.with_clock(lambda: FIXED).prepare(explain=True)
    assert all(
        from_bundle.compiled(name, tracing=tracing).stored
        for name in from_bundle.frameworks
        for tracing in (False, True)
    )
    assert not fresh.compiled("cqc").stored
    assert len(EXAMPLES) > 20
    for path in EXAMPLES:
        text = path.read_bytes()
        source = path.relative_to(REPO).as_posix()
        for explain in (False, True):
            expected = fresh.evaluate_json(text, source=source, explain=explain).to_json_bytes(explain=explain)
            found = from_bundle.evaluate_json(text, source=source, explain=explain).to_json_bytes(explain=explain)
            assert found == expected, path
        reference = from_bundle.evaluate_json(text, source=source, engine="reference").to_json_bytes()
        assert reference == fresh.evaluate_json(text, source=source).to_json_bytes(), path


@pytest.mark.parametrize(
    "spoil",
    ["another engine", "another python", "truncated", "one byte more", "not a bundle", "turned off", "missing"],
)
def test_a_bundle_for_something_else_is_not_used(
    installed: Path, built: tuple[Path, bytes], spoil: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = bundle.decode(built[1])
    assert found is not None
    header, sections = found
    del header["sections"]
    path = tmp_path / "bundle.bin"
    if spoil == "another engine":
        path.write_bytes(bundle.encode({**header, "engine": ENGINE_VERSION + ".1"}, sections))
    elif spoil == "another python":
        path.write_bytes(bundle.encode({**header, "python": "cpython-2.7"}, sections))
    elif spoil == "truncated":
        path.write_bytes(built[1][:-10])
    elif spoil == "one byte more":
        path.write_bytes(built[1] + b"\0")
    elif spoil == "not a bundle":
        path.write_bytes(b"framework-dsl cache 1\n" + built[1])
    elif spoil == "turned off":
        monkeypatch.setenv("FRAMEWORK_DSL_NO_BUNDLE", "1")
    else:
        path.unlink()
    assert bundle.load_rules_section(installed) is None
    rule_set, _ = check_rules()
    assert rule_set is not None and rule_set.origin == "checked"


def test_the_parser_tables_come_from_the_bundle(installed: Path, built: tuple[Path, bytes]) -> None:
    text = grammar.grammar_text()
    tables = bundle.load_grammar_section(text, lark.__version__)
    assert tables is not None
    assert bundle.load_grammar_section(text + "\n", lark.__version__) is None  # another grammar
    assert bundle.load_grammar_section(text, lark.__version__ + ".post1") is None  # another Lark
    loaded = lark.Lark.load(io.BytesIO(tables))
    fresh = grammar.build_parser(strict=False)
    source = (REPO / "rules" / "clas" / "clas.fw").read_text(encoding="utf-8")
    assert loaded.parse(source, start="start") == fresh.parse(source, start="start")
    grammar.rule_parser.cache_clear()
    try:
        assert grammar.rule_parser().parse(source, start="start") == fresh.parse(source, start="start")
    finally:
        grammar.rule_parser.cache_clear()


def test_rules_with_errors_are_not_bundled(tmp_path: Path) -> None:
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    clas = tmp_path / "rules" / "clas" / "clas.fw"
    clas.write_text(clas.read_text(encoding="utf-8") + "\njudgement broken:\n  when nothing_here then gap\n", "utf-8")
    with pytest.raises(bundler.BundleError, match="errors"):
        bundler.build(tmp_path / "rules")
    assert bundler.main([str(tmp_path / "bundle.bin"), str(tmp_path / "rules")]) == 1
    assert not (tmp_path / "bundle.bin").exists()
