"""The load stage: files and folders, imports under the rules root, cycles, the digest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from framework_dsl import check_rules, load_rules
from framework_dsl.loader import load_files

SCALES = 'scale rating: good "Good" > poor "Poor"\n'
MAIN = """
framework demo "Demo" effective from 2020-01-01
import rating from shared.scales
judgement j: rating
  otherwise good because "Always good"
"""


def test_imported_names_resolve(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`import NAME from shared.module` reads shared/module.fw under the same root."""
    root = write_rules({"shared/scales.fw": SCALES, "demo.fw": MAIN})
    rules = load_rules(root)
    assert rules.evaluate({"framework": "demo"}, "2020-02-02").judgements["j"].outcome == "good"


def test_whole_module_import_is_namespaced(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`import shared.scales` makes its names available as `scales.NAME`."""
    main = """
    framework demo "Demo" effective from 2020-01-01
    import shared.scales
    judgement j: scales.rating
      otherwise scales.rating.poor because "Always poor"
    """
    root = write_rules({"shared/scales.fw": SCALES, "demo.fw": main})
    assert load_rules(root).evaluate({"framework": "demo"}, "2020-02-02").judgements["j"].outcome == "poor"


def test_two_frameworks_may_both_define_overall(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Names are per file, so two frameworks can each define `overall`."""
    one = 'framework one "One" effective from 2020-01-01\noutcome ok "OK"\njudgement overall: ok\n  otherwise ok\n'
    root = write_rules({"one.fw": one, "two.fw": one.replace("one", "two")})
    assert sorted(load_rules(root).frameworks) == ["one", "two"]


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path, write_rules) -> None:  # type: ignore[no-untyped-def]
    """An import that resolves, through a symbolic link, outside the rules root is refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "scales.fw").write_text(SCALES)
    root = write_rules({"demo.fw": MAIN})
    (root / "shared").mkdir()
    try:
        os.symlink(outside / "scales.fw", root / "shared" / "scales.fw")
    except OSError:  # pragma: no cover - filesystems without symlinks
        pytest.skip("symlinks are not available")
    _, diagnostics = check_rules(root / "demo.fw")
    assert "modules.outside-root" in {d.code for d in diagnostics}


def test_missing_rules_path_is_a_diagnostic(tmp_path: Path) -> None:
    """A --rules path that does not exist is reported, not raised."""
    rule_set, diagnostics = check_rules(tmp_path / "nowhere")
    assert rule_set is None
    assert diagnostics[0].code == "modules.not-found"


def test_digest_changes_with_the_rules(write_rules) -> None:  # type: ignore[no-untyped-def]
    """The rules digest identifies the exact rule text: one changed character changes it."""
    root = write_rules({"shared/scales.fw": SCALES, "demo.fw": MAIN})
    first = load_files([root]).digest
    (root / "demo.fw").write_text(MAIN.replace("Always good", "Always good."))
    assert load_files([root]).digest != first
    assert first.startswith("sha256:")


def test_bundled_rules_load_from_the_package() -> None:
    """With no path, the rules shipped inside the package are loaded."""
    assert "clas" in load_rules().frameworks


# ---------------------------------------------------------------- part of a rules tree

OTHER = 'framework other "Other" effective from 2020-01-01\noutcome ok "OK"\njudgement j: ok\n  otherwise ok\n'


def test_a_folder_inside_a_marked_root_imports_from_the_root(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`check rules/demo`: the nearest folder above holding `rules-root` is the root, so `shared.scales` resolves."""
    root = write_rules({"rules-root": "", "shared/scales.fw": SCALES, "demo/demo.fw": MAIN, "other/other.fw": OTHER})
    rule_set, diagnostics = check_rules(root / "demo")
    assert diagnostics == []
    assert rule_set is not None
    assert sorted(rule_set.frameworks) == ["demo"]  # only the folder given, and what it imports
    single, problems = check_rules(root / "demo" / "demo.fw")
    assert problems == []
    assert single is not None and sorted(single.frameworks) == ["demo"]


def test_without_a_marker_the_folder_given_is_the_root(write_rules) -> None:  # type: ignore[no-untyped-def]
    """No `rules-root` above: the folder itself is the root, and the failed import says how to fix it."""
    root = write_rules({"shared/scales.fw": SCALES, "demo/demo.fw": MAIN})
    rule_set, diagnostics = check_rules(root / "demo")
    assert rule_set is None
    assert [d.code for d in diagnostics] == ["modules.not-found"]
    assert diagnostics[0].hint is not None
    assert "`shared/scales.fw` is in" in diagnostics[0].hint and "`rules-root`" in diagnostics[0].hint


def test_paths_are_shown_relative_to_the_current_folder(write_rules, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A relative path shows files from the current folder, `..` included; an absolute one from the root's name."""
    bad_scales = SCALES + "define x = nowhere\n"
    bad_main = MAIN + "define y = nothing\n"
    root = write_rules({"rules-root": "", "shared/scales.fw": bad_scales, "demo/demo.fw": bad_main})
    monkeypatch.chdir(root.parent)
    _, diagnostics = check_rules(Path(root.name) / "demo")
    assert sorted(d.file for d in diagnostics) == [f"{root.name}/demo/demo.fw", f"{root.name}/shared/scales.fw"]
    monkeypatch.chdir(root / "demo")
    _, diagnostics = check_rules(".")
    assert sorted(d.file for d in diagnostics) == ["../shared/scales.fw", "demo.fw"]
    _, diagnostics = check_rules(root / "demo")
    assert sorted(d.file for d in diagnostics) == [f"{root.name}/demo/demo.fw", f"{root.name}/shared/scales.fw"]


def test_the_digest_does_not_depend_on_the_current_folder(write_rules, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The same rules have the same digest however they were named on the command line."""
    root = write_rules({"rules-root": "", "shared/scales.fw": SCALES, "demo/demo.fw": MAIN})
    absolute = load_files([root / "demo"]).digest
    monkeypatch.chdir(root)
    assert load_files([Path("demo")]).digest == absolute
    monkeypatch.chdir(root / "demo")
    assert load_files([Path()]).digest == absolute


USES = """
framework demo "Demo" effective from 2020-01-01
import rating, level from shared.scales
evidence:
  score: rating
  kind: level
judgement safe: rating
  poor when kind = safe because "A kind named like the judgement"
  otherwise score because "As found"
judgement j: rating
  good when safe = good and score > poor because "Both"
  otherwise poor because "Not both"
"""


def test_a_missing_module_is_one_diagnostic_not_a_cascade(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Names from a module that is not there are not reported again, and `safe` is not a false cycle."""
    root = write_rules({"demo.fw": USES})
    rule_set, diagnostics = check_rules(root)
    assert rule_set is None
    assert [d.code for d in diagnostics] == ["modules.not-found"]


def test_a_name_the_module_lacks_is_reported_once(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`import level from shared.scales` when scales has no `level`: one diagnostic at the import."""
    root = write_rules({"shared/scales.fw": SCALES, "demo.fw": USES})
    _, diagnostics = check_rules(root)
    assert [(d.code, d.span.line if d.span else 0) for d in diagnostics] == [("names.unknown", 2)]
    assert "has no `level`" in diagnostics[0].message


def test_a_failed_whole_module_import_silences_its_qualified_names(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`import shared.scales as s` that fails: `s.rating` and `s.rating.good` give no second diagnostic."""
    main = """
    framework demo "Demo" effective from 2020-01-01
    import shared.scals as s
    evidence:
      score: s.rating
    judgement j: s.rating
      s.rating.good when score = s.rating.good because "Good"
      otherwise score because "As found"
    """
    root = write_rules({"shared/scales.fw": SCALES, "demo.fw": main})
    _, diagnostics = check_rules(root)
    assert [d.code for d in diagnostics] == ["modules.not-found"]
    assert diagnostics[0].hint == "did you mean `shared.scales`?"


def test_a_typo_in_a_file_whose_imports_resolve_is_still_reported(write_rules) -> None:  # type: ignore[no-untyped-def]
    """The silence covers only what a failed import could explain."""
    root = write_rules({"shared/scales.fw": SCALES, "demo.fw": MAIN.replace("otherwise good", "otherwise goood")})
    _, diagnostics = check_rules(root)
    assert [d.code for d in diagnostics] == ["outcomes.unknown"]
