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
    """A cache folder of the test's own, switched on; and no precompiled bundle (an installed
    wheel's answers the bundled rules and the grammar before the cache: tests/unit/test_bundle.py)."""
    monkeypatch.delenv("FRAMEWORK_DSL_NO_CACHE", raising=False)
    monkeypatch.setenv("FRAMEWORK_DSL_NO_BUNDLE", "1")
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
    assert (first.origin, again.origin) == ("checked", "cache")
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


def _entry(private_cache: Path) -> Path:
    [entry] = private_cache.glob("rules-*.pickle")
    return entry


class _Planted:
    """Unpickling this makes the folder `marker`: proof that foreign bytes were unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def test_an_unsigned_pickle_is_never_unpickled(private_cache: Path, write_rules, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A pickle put in place of an entry (one that would run code) is not loaded: the signature is checked first."""
    import pickle

    root = write_rules({"demo.fw": RULES.replace("{x}", "fine")})
    check_rules(root)
    entry = _entry(private_cache)
    marker = tmp_path / "ran"
    entry.write_bytes(pickle.dumps(_Planted(marker)))
    rule_set, _ = check_rules(root)
    assert rule_set is not None and not marker.exists()
    # Nor with the entry's own header in front: only this installation's key signs.
    entry.write_bytes(b"framework-dsl cache 1\n" + b"\0" * 32 + pickle.dumps(_Planted(marker)))
    rule_set, _ = check_rules(root)
    assert rule_set is not None and not marker.exists()


def test_a_cache_from_another_installation_is_not_used(  # type: ignore[no-untyped-def]
    private_cache: Path, write_rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same cache folder under another key (a restored CI cache, a copied home) is a miss, never unpickled."""
    import pickle

    from framework_dsl import cache

    root = write_rules({"demo.fw": RULES.replace("{x}", "fine")})
    check_rules(root)
    assert cache.load(_entry(private_cache).name) is not None
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "another-installation"))
    unpickled: list[bytes] = []
    real_loads = pickle.loads
    monkeypatch.setattr(pickle, "loads", lambda data: unpickled.append(data) or real_loads(data))
    assert cache.load(_entry(private_cache).name) is None
    assert unpickled == []
    key_file = tmp_path / "another-installation" / "framework-dsl" / "cache-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_damaged_entries_never_stop_a_run(private_cache: Path, write_rules) -> None:  # type: ignore[no-untyped-def]
    """400 random mutations of an entry (flipped bytes, truncation, a huge pickle frame length): every run
    still gets its rules (a huge frame raised MemoryError or OverflowError past `cache.load`)."""
    import random

    root = write_rules({"demo.fw": RULES.replace("{x}", "fine")})
    check_rules(root)
    entry = _entry(private_cache)
    good = entry.read_bytes()
    chance = random.Random(15)
    for round_ in range(400):
        data = bytearray(good)
        if round_ % 4 == 0:
            data = data[: chance.randrange(len(data))]
        elif round_ % 4 == 1:  # a frame opcode with an absurd length, right after the header
            at = len(b"framework-dsl cache 1\n") + 32 + 2
            data[at : at + 9] = b"\x95" + (2**63 - 1).to_bytes(8, "little")
        else:
            for _ in range(chance.randrange(1, 4)):
                data[chance.randrange(len(data))] = chance.randrange(256)
        entry.write_bytes(bytes(data))
        rule_set, diagnostics = check_rules(root)
        assert rule_set is not None and diagnostics == []


def test_the_parser_tables_come_from_the_signed_cache(private_cache: Path) -> None:
    """The grammar's tables are a signed entry too (Lark's own file cache unpickled any file there)."""
    from framework_dsl import cache, grammar

    grammar.rule_parser.cache_clear()
    try:
        grammar.rule_parser()
        name = cache.grammar_cache_name(grammar.grammar_text())
        assert cache.load_bytes(name) is not None
        (private_cache / name).write_bytes(b"\x80\x04K\x01.")  # a bare pickle, unsigned
        assert cache.load_bytes(name) is None
        grammar.rule_parser.cache_clear()
        assert grammar.rule_parser().parse('framework t "T"\n  effective from 2014-01-01\n', start="start")
    finally:
        grammar.rule_parser.cache_clear()
