"""The per-user cache: reused when nothing changed, never stale, private, and optional."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from framework_dsl import check_rules

RULES = (
    'framework demo "Demo" effective from 2020-01-01\noutcome ok "OK"\njudgement j: ok\n  otherwise ok because "{x}"\n'
)


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own, switched on."""
    monkeypatch.delenv("FRAMEWORK_DSL_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "framework-dsl"


def test_checked_rules_are_reused_and_invalidated(private_cache: Path, write_rules) -> None:  # type: ignore[no-untyped-def]
    """A second load of unchanged rules comes from the cache; a changed file is checked afresh."""
    root = write_rules({"demo.fw": RULES.replace("{x}", "first")})
    first, _ = check_rules(root)
    assert first is not None
    assert len(list(private_cache.glob("rules-*.pickle"))) == 1
    again, _ = check_rules(root)
    assert again is not None and again.digest == first.digest
    (root / "demo.fw").write_text(RULES.replace("{x}", "second"))
    changed, _ = check_rules(root)
    assert changed is not None and changed.digest != first.digest
    assert changed.evaluate({"framework": "demo"}, "2021-01-01").judgements["j"].reason == "second"


def test_a_change_in_an_imported_module_above_the_folder_is_seen(private_cache: Path, write_rules) -> None:  # type: ignore[no-untyped-def]
    """Checking `root/demo` of a marked root: the cache covers `root/shared` too, which the folder imports."""
    main = (
        'framework demo "Demo" effective from 2020-01-01\nimport note from shared.notes\n'
        'judgement j: note\n  otherwise note because "x"\n'
    )
    root = write_rules({"rules-root": "", "shared/notes.fw": 'outcome note "First"\n', "demo/demo.fw": main})
    first, _ = check_rules(root / "demo")
    assert first is not None
    (root / "shared" / "notes.fw").write_text('outcome note "Second"\n')
    changed, _ = check_rules(root / "demo")
    assert changed is not None and changed.digest != first.digest


def test_rules_with_errors_are_never_cached(private_cache: Path, write_rules) -> None:  # type: ignore[no-untyped-def]
    """Only rules that checked cleanly are stored, so errors are always reported afresh."""
    root = write_rules({"demo.fw": "framework demo"})
    assert check_rules(root)[0] is None
    assert not list(private_cache.glob("rules-*.pickle"))


def test_cache_folder_is_private(private_cache: Path, write_rules) -> None:  # type: ignore[no-untyped-def]
    """The cache folder is readable and writable by its owner only."""
    check_rules(write_rules({"demo.fw": RULES.replace("{x}", "fine")}))
    assert stat.S_IMODE(private_cache.stat().st_mode) == 0o700


def test_a_folder_others_can_write_is_not_used(private_cache: Path, write_rules) -> None:  # type: ignore[no-untyped-def]
    """When the cache folder is writable by others, nothing is read from it or written to it."""
    private_cache.mkdir(parents=True)
    os.chmod(private_cache, 0o777)
    check_rules(write_rules({"demo.fw": RULES.replace("{x}", "fine")}))
    assert not list(private_cache.glob("rules-*.pickle"))


def test_a_corrupt_entry_is_ignored(private_cache: Path, write_rules) -> None:  # type: ignore[no-untyped-def]
    """A damaged cache entry is ignored and the rules are checked again."""
    root = write_rules({"demo.fw": RULES.replace("{x}", "fine")})
    check_rules(root)
    for entry in private_cache.glob("rules-*.pickle"):
        entry.write_bytes(b"not a pickle")
    rule_set, diagnostics = check_rules(root)
    assert rule_set is not None and diagnostics == []


def test_a_change_to_the_engine_misses_the_cache(private_cache: Path, write_rules, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Cached rules belong to one build of the engine: changed engine code never reads them."""
    from framework_dsl import cache

    root = write_rules({"demo.fw": RULES.replace("{x}", "fine")})
    check_rules(root)
    monkeypatch.setattr(cache, "_engine_stamp", lambda: "another build")
    check_rules(root)
    assert len(list(private_cache.glob("rules-*.pickle"))) == 2
