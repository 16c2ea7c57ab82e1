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
