"""Confinement: rule files and evidence cannot reach outside the rules root or run code.

- Imports cannot leave the rules root: `..` and absolute paths are not syntax, and a
  symbolic link out of the root is refused (`modules.outside-root`), as is an example's
  `given file` that leads out of it.
- Evaluation reads no file, environment variable, clock or network: with a fixed
  `as_of` it gives the same bytes under other time zones and hash seeds, and calls to
  `open`, `socket`, `os.environ`, the clock or `exec` during evaluation are refused.
- Text that looks like Python (`__import__('os')`, `{__class__}`) is data: it comes out
  literally, or is a diagnostic; it never runs.
"""

from __future__ import annotations

import builtins
import datetime
import io
import json
import os
import socket
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from framework_dsl import RuleSet, check_rules, load_rules
from framework_dsl.diagnostics import Diagnostic, render_text
from framework_dsl.ruleset import FUSE_AFTER

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
FRAMEWORK_CHECK = Path(sys.executable).with_name("framework-check")
AS_OF = "2020-06-30"

HEAD = """\
framework t "T"
  effective from 2014-01-01
evidence:
  n: integer "n"
  note: optional text "a note"
judgement j: boolean
  otherwise true because "n is {n}"
"""


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    """The diagnostics' codes, in order."""
    return [d.code for d in diagnostics]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the rules root holding a rule module and an evidence file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "evil.fw").write_text('outcome evil "Evil"\n', encoding="utf-8")
    (folder / "secret.json").write_text('{"framework": "t", "n": 1}', encoding="utf-8")
    return folder


def _symlink(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target, target_is_directory=target.is_dir())
    except (OSError, NotImplementedError):  # pragma: no cover - platforms without symlinks
        pytest.skip("symbolic links are not available here")


# ---------------------------------------------------------------- imports stay inside the root


@pytest.mark.parametrize(
    "line",
    ["import ..shared.scales", "import shared..scales", "import .scales", "import ../outside/evil"],
)
def test_parent_directory_imports_are_not_syntax(check_text, line: str) -> None:  # type: ignore[no-untyped-def]
    """`..` cannot be written in an import: the line is a syntax error at the import, nothing is read."""
    rule_set, diagnostics = check_text(line + "\n" + HEAD)
    assert rule_set is None
    assert diagnostics and all(code.startswith("syntax.") for code in codes(diagnostics))
    first = diagnostics[0]
    assert first.span is not None and first.span.line == 1
    rendered = render_text(first)
    assert rendered.startswith("error[syntax.") and line in rendered


@pytest.mark.parametrize(
    "line",
    ['import "/etc/passwd"', "import /etc/passwd", "import C:\\Windows\\win", 'import shared.scales as "/etc"'],
)
def test_absolute_paths_cannot_be_imported(check_text, line: str) -> None:  # type: ignore[no-untyped-def]
    """An import names dotted identifiers only, so an absolute path is a syntax error."""
    rule_set, diagnostics = check_text(line + "\n" + HEAD)
    assert rule_set is None
    assert diagnostics and all(code.startswith("syntax.") for code in codes(diagnostics))


def test_an_import_cannot_name_a_module_outside_the_root(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`import etc.passwd` looks only under the rules root, so it is `modules.not-found`."""
    rule_set, diagnostics = check_rules(write_rules({"t.fw": "import etc.passwd\n" + HEAD}))
    assert rule_set is None
    assert codes(diagnostics) == ["modules.not-found"]


def test_a_symlinked_module_out_of_the_root_is_refused(write_rules, outside: Path) -> None:  # type: ignore[no-untyped-def]
    """A module that is a symbolic link to a file outside the root gives `modules.outside-root`."""
    root = write_rules({"t.fw": "import evil\n" + HEAD})
    _symlink(root / "evil.fw", outside / "evil.fw")
    rule_set, diagnostics = check_rules(root)
    assert rule_set is None
    assert codes(diagnostics) == ["modules.outside-root"]
    assert diagnostics[0].span is not None and diagnostics[0].span.line == 1


def test_a_symlinked_folder_out_of_the_root_is_refused(write_rules, outside: Path) -> None:  # type: ignore[no-untyped-def]
    """A module reached through a symbolically linked folder outside the root gives `modules.outside-root`."""
    root = write_rules({"t.fw": "import linked.evil\n" + HEAD})
    _symlink(root / "linked", outside)
    rule_set, diagnostics = check_rules(root)
    assert rule_set is None
    assert codes(diagnostics) == ["modules.outside-root"]


def test_an_unimported_symlink_out_of_the_root_is_not_loaded(write_rules, outside: Path) -> None:  # type: ignore[no-untyped-def]
    """A `.fw` link out of the root that nothing imports is skipped: its declarations do not appear."""
    root = write_rules({"t.fw": HEAD})
    _symlink(root / "evil.fw", outside / "evil.fw")
    rule_set, diagnostics = check_rules(root)
    assert rule_set is not None, diagnostics
    assert set(rule_set.frameworks) == {"t"}


# ---------------------------------------------------------------- example files stay inside the root


@pytest.mark.parametrize(
    "given",
    ["../../etc/passwd", "/etc/passwd", "../outside/secret.json", "sub/../../outside/secret.json"],
)
def test_an_example_file_outside_the_root_is_refused(write_rules, outside: Path, given: str) -> None:  # type: ignore[no-untyped-def]
    """`given file` with `..` or an absolute path out of the root gives `modules.outside-root` at the path."""
    text = HEAD + f'example "e" given file "{given}" expect j = true\n'
    rule_set, diagnostics = check_rules(write_rules({"t.fw": text}))
    assert rule_set is None
    assert codes(diagnostics) == ["modules.outside-root"]
    assert diagnostics[0].span is not None
    assert given in render_text(diagnostics[0])


def test_a_symlinked_example_file_out_of_the_root_is_refused(write_rules, outside: Path) -> None:  # type: ignore[no-untyped-def]
    """An example file that is a symbolic link out of the root gives `modules.outside-root`."""
    root = write_rules({"t.fw": HEAD + 'example "e" given file "secret.json" expect j = true\n'})
    _symlink(root / "secret.json", outside / "secret.json")
    rule_set, diagnostics = check_rules(root)
    assert rule_set is None
    assert codes(diagnostics) == ["modules.outside-root"]


def test_a_cached_rule_set_does_not_skip_the_example_file_check(  # type: ignore[no-untyped-def]
    write_rules, outside: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Swapping an example's evidence file for a link out of the root is refused even when the rules were cached."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("FRAMEWORK_DSL_NO_CACHE", raising=False)
    root = write_rules({"t.fw": HEAD + 'example "e" given file "e.json" as of 2019-01-01 expect j = true\n'})
    (root / "e.json").write_text('{"framework": "t", "n": 1}', encoding="utf-8")
    first, diagnostics = check_rules(root)
    assert first is not None, diagnostics
    (root / "e.json").unlink()
    _symlink(root / "e.json", outside / "secret.json")
    second, diagnostics = check_rules(root)
    assert second is None
    assert codes(diagnostics) == ["modules.outside-root"]


# ---------------------------------------------------------------- loading touches nothing outside the root

_OPENS_DURING_CHECK = """
import json, sys
from pathlib import Path
root, outside = Path(sys.argv[1]), Path(sys.argv[2]).resolve()
opened = []
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        opened.append(args[0].decode("utf-8", "replace") if isinstance(args[0], bytes) else args[0])
from framework_dsl import check_rules
sys.addaudithook(hook)
rule_set, diagnostics = check_rules(root)
hook_off = list(opened)
leaks = sorted({path for path in hook_off if Path(path).resolve().is_relative_to(outside)})
print(json.dumps({"opened": leaks, "codes": [d.code for d in diagnostics]}))
"""


def _opens_outside(root: Path, outside: Path, env: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", _OPENS_DURING_CHECK, str(root), str(outside)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, **env},
    )
    return json.loads(completed.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("cache", ["off", "on"])
def test_checking_opens_nothing_outside_the_root(write_rules, outside: Path, tmp_path: Path, cache: str) -> None:  # type: ignore[no-untyped-def]
    """Checking a root that holds a `.fw` link out of it never opens the file outside, cache on or off."""
    root = write_rules({"t.fw": HEAD})
    _symlink(root / "evil.fw", outside / "evil.fw")
    env = {"FRAMEWORK_DSL_NO_CACHE": "1"} if cache == "off" else {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    report = _opens_outside(root, outside, env)
    assert report == {"opened": [], "codes": []}


_CHECK_CODES = (
    "import json, sys; from framework_dsl import check_rules; "
    "print(json.dumps([d.code for d in check_rules(sys.argv[1])[1]]))"
)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize(
    ("imported", "expected"), [(True, ["modules.unreadable"]), (False, [])], ids=["imported", "not-imported"]
)
def test_a_named_pipe_in_the_root_does_not_hang_checking(  # type: ignore[no-untyped-def]
    write_rules, tmp_path: Path, imported: bool, expected: list[str]
) -> None:
    """A named pipe called `pipe.fw` in the rules root is reported when imported and skipped otherwise; never read."""
    root = write_rules({"t.fw": ("import pipe\n" if imported else "") + HEAD})
    os.mkfifo(root / "pipe.fw")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    try:
        completed = subprocess.run(
            [sys.executable, "-c", _CHECK_CODES, str(root)], timeout=20, check=True, env=env, capture_output=True
        )
    except subprocess.TimeoutExpired:
        pytest.fail("checking a rules root holding a named pipe did not finish")
    assert json.loads(completed.stdout) == expected


# ---------------------------------------------------------------- evaluation reads nothing


def _example_documents() -> list[tuple[str, bytes]]:
    return [(str(p.relative_to(REPO)), p.read_bytes()) for p in sorted(EXAMPLES.rglob("*.json"))]


class _Refused(AssertionError):
    """Evaluation touched something it must not."""


def _refuse(what: str) -> Any:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise _Refused(f"evaluation used {what}")

    return refused


class _RefusingEnviron(dict):  # type: ignore[type-arg]
    """An `os.environ` stand-in that refuses every read."""

    def __getitem__(self, key: Any) -> Any:
        raise _Refused(f"evaluation read the environment variable {key!r}")

    def get(self, key: Any, default: Any = None) -> Any:
        raise _Refused(f"evaluation read the environment variable {key!r}")

    def __contains__(self, key: object) -> bool:
        raise _Refused(f"evaluation asked for the environment variable {key!r}")

    def __iter__(self) -> Iterator[Any]:
        raise _Refused("evaluation listed the environment")


class _DateMeta(type):
    """Makes the stand-in `date` class behave as `datetime.date` in every way but the clock."""

    real: type = datetime.date

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, cls.real)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls.real)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls.real, name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.real(*args, **kwargs)


class _ClocklessDate(metaclass=_DateMeta):
    real = datetime.date
    today = staticmethod(_refuse("the clock (date.today)"))


class _ClocklessDateTime(metaclass=_DateMeta):
    real = datetime.datetime
    today = staticmethod(_refuse("the clock (datetime.today)"))
    now = staticmethod(_refuse("the clock (datetime.now)"))
    utcnow = staticmethod(_refuse("the clock (datetime.utcnow)"))


def _clockless_datetime_module() -> types.ModuleType:
    module = types.ModuleType("datetime")
    module.__dict__.update({k: v for k, v in vars(datetime).items() if not k.startswith("__")})
    module.date = _ClocklessDate  # type: ignore[attr-defined]
    module.datetime = _ClocklessDateTime  # type: ignore[attr-defined]
    return module


@pytest.fixture
def sealed(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A context manager that refuses files, environment, clock, network, processes and code during its body."""
    import contextlib
    import pathlib
    import subprocess as subprocess_module

    @contextlib.contextmanager
    def seal() -> Iterator[None]:
        with monkeypatch.context() as patch:
            for name in ("open",):
                patch.setattr(builtins, name, _refuse("builtins.open"))
                patch.setattr(io, name, _refuse("io.open"))
            for name in ("open", "stat", "lstat", "listdir", "scandir", "system", "popen"):
                patch.setattr(os, name, _refuse(f"os.{name}"))
            for name in ("open", "read_bytes", "read_text", "exists", "is_file", "resolve"):
                patch.setattr(pathlib.Path, name, _refuse(f"Path.{name}"))
            patch.setattr(os, "environ", _RefusingEnviron())
            patch.setattr(os, "getenv", _refuse("os.getenv"))
            for name in ("socket", "create_connection", "getaddrinfo"):
                patch.setattr(socket, name, _refuse(f"socket.{name}"))
            patch.setattr(subprocess_module, "Popen", _refuse("subprocess.Popen"))
            for name in ("time", "time_ns", "monotonic", "perf_counter", "localtime", "gmtime", "ctime"):
                patch.setattr(time, name, _refuse(f"time.{name}"))
            for name in ("eval", "exec", "compile"):
                patch.setattr(builtins, name, _refuse(f"builtins.{name}"))
            clockless = _clockless_datetime_module()
            for module in list(sys.modules.values()):
                if (
                    getattr(module, "__name__", "").startswith("framework_dsl")
                    and getattr(module, "datetime", None) is datetime
                ):
                    patch.setattr(module, "datetime", clockless)
            yield

    return seal


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="needs the bundled examples")
@pytest.mark.parametrize("path", ["explain", "compiled", "compiled on use"])
def test_evaluation_touches_no_file_environment_clock_network_or_code(sealed, path: str) -> None:  # type: ignore[no-untyped-def]
    """Evaluating every bundled example, with and without a trace, uses no file, env, clock, socket, exec or compile.

    Compiling (compile() and exec() of generated code) happens unsealed: in `prepare`, or
    as evaluations go, by a framework's `FUSE_AFTER`-th (its fused function is made then).
    """
    rule_set = load_rules()
    explain = path == "explain"
    if path != "compiled on use":
        rule_set.prepare(explain=explain)
    documents = _example_documents()
    expected = {}
    warm_ups = FUSE_AFTER if path == "compiled on use" else 1
    for source, data in documents:  # warm up: any lazy import happens here, unsealed
        for _ in range(warm_ups):
            result = rule_set.evaluate_json(data, AS_OF, source=source, explain=explain)
        expected[source] = result.to_json(explain=explain)
    with sealed():
        for source, data in documents:
            result = rule_set.evaluate_json(data, AS_OF, source=source, explain=explain)
            assert result.to_json(explain=explain) == expected[source]


@pytest.mark.skipif(not (EXAMPLES / "clas" / "complete.json").is_file(), reason="needs the clas example")
def test_dated_evidence_without_as_of_does_not_read_the_clock(bundled: RuleSet, sealed) -> None:  # type: ignore[no-untyped-def]
    """Without `as_of`, evidence that carries its own date is evaluated as of that date, not today."""
    data = (EXAMPLES / "clas" / "complete.json").read_bytes()
    bundled.prepare()  # compiling happens here, unsealed, whatever ran before this test
    bundled.evaluate_json(data)
    with sealed():
        result = bundled.evaluate_json(data)
    assert result.as_of == datetime.date(2018, 3, 16)
    assert result.as_of_from == "evidence"


def test_the_date_says_where_it_came_from(tmp_path: Path) -> None:
    """`as_of_from` is "argument" for a date given, "clock" (from the rule set's clock) for none at all."""
    (tmp_path / "undated.fw").write_text(
        'framework undated "Undated" effective from 2020-01-01\nevidence:\n  a: boolean\n'
        'judgement today: date\n  otherwise as of because "the evaluation date"\n'
    )
    undated = {"framework": "undated", "a": True}
    fixed = load_rules(tmp_path).with_clock(lambda: datetime.date(2031, 5, 6))
    given = fixed.evaluate(undated, "2019-01-02")
    assert (given.as_of, given.as_of_from) == (datetime.date(2019, 1, 2), "argument")
    clocked = fixed.evaluate(undated)
    assert (clocked.as_of, clocked.as_of_from) == (datetime.date(2031, 5, 6), "clock")
    assert clocked.to_dict()["as_of_from"] == "clock"
    assert clocked.judgements["today"].outcome == "2031-05-06"


def test_the_sealed_context_does_refuse(sealed) -> None:  # type: ignore[no-untyped-def]
    """The seal used above really refuses opening a file, reading the environment and the clock."""
    with sealed():
        for attempt in (
            lambda: open(__file__),  # noqa: PTH123, SIM115
            lambda: os.environ["HOME"],
            time.time,  # looked up inside the seal: the refusing stand-in
            socket.socket,
        ):
            with pytest.raises(_Refused):
                attempt()


_AUDITED_EVALUATION = """
import json, sys
from pathlib import Path
from framework_dsl import load_rules
rules = load_rules().prepare(explain=True)  # compile every framework, both variants: the only compile() and exec()
documents = [(str(p), p.read_bytes()) for p in sorted(Path(sys.argv[1]).rglob("*.json"))]
for source, data in documents:  # warm up
    rules.evaluate_json(data, "2020-06-30", source=source, explain=True).to_json(explain=True)
events = []
WATCHED = ("open", "os.", "socket.", "subprocess.", "exec", "compile", "import", "ctypes.", "urllib.", "shutil.")
def hook(event, args):
    if event.startswith(WATCHED):
        events.append(event)
sys.addaudithook(hook)
for source, data in documents:
    rules.evaluate_json(data, "2020-06-30", source=source, explain=True).to_json(explain=True)
    rules.evaluate_json(data, "2020-06-30", source=source).to_json()
print(json.dumps(sorted(set(events))))
"""


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="needs the bundled examples")
def test_no_audited_operation_happens_during_evaluation(tmp_path: Path) -> None:
    """After the rules are prepared, audit hooks see no open, os, socket, subprocess, exec, compile or import event."""
    completed = subprocess.run(
        [sys.executable, "-c", _AUDITED_EVALUATION, str(EXAMPLES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert json.loads(completed.stdout) == []


def _check_examples(env: dict[str, str], cwd: Path) -> bytes:
    completed = subprocess.run(
        [str(FRAMEWORK_CHECK), str(EXAMPLES), "--as-of", AS_OF, "--format", "json"],
        capture_output=True,
        timeout=180,
        check=False,
        cwd=cwd,
        env={**os.environ, **env},
    )
    assert completed.returncode in (0, 1), completed.stderr
    assert b"Traceback" not in completed.stderr
    return completed.stdout


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="needs the bundled examples")
def test_output_is_identical_under_other_time_zones_and_hash_seeds(tmp_path: Path) -> None:
    """`framework-check --as-of` on every example gives the same bytes whatever TZ and PYTHONHASHSEED are."""
    cache = str(tmp_path / "cache")
    runs = [  # the first run checks the rules and fills an empty cache; the second loads them from it
        {"TZ": "Pacific/Kiritimati", "PYTHONHASHSEED": "0", "XDG_CACHE_HOME": cache},
        {"TZ": "America/Adak", "PYTHONHASHSEED": "4242", "XDG_CACHE_HOME": cache},
    ]
    outputs = [_check_examples(env, tmp_path) for env in runs]
    assert outputs[0]
    assert outputs[1] == outputs[0]


# ---------------------------------------------------------------- Python-looking text is data

SENTINEL = "PWNED-sentinel"


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("{__import__('os').system('touch " + SENTINEL + "')}", "syntax."),
        ("{__class__}", "names.unknown"),
        ("{n.__class__}", "types.mismatch"),
        ("{eval('1')}", "syntax."),
        ("{n!r}", "syntax."),
        ("{n:>10}", "syntax."),
        ("{'%s' % n}", "syntax."),
    ],
)
def test_python_in_an_interpolation_is_a_diagnostic(check_text, tmp_path: Path, reason: str, code: str) -> None:  # type: ignore[no-untyped-def]
    """An interpolation written as Python is a diagnostic (syntax or unknown name); nothing runs."""
    text = HEAD.replace('"n is {n}"', json.dumps(reason))
    rule_set, diagnostics = check_text(text)
    assert rule_set is None
    assert diagnostics and diagnostics[0].code.startswith(code), [(d.code, d.message) for d in diagnostics]
    assert not (tmp_path / SENTINEL).exists() and not Path(SENTINEL).exists()


def test_python_in_reasons_citations_and_evidence_is_output_literally(check_text, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Reason text, citations and evidence values that look like Python come out character for character."""
    reason = "__import__('os').system('touch " + SENTINEL + "') {n} %s {{__class__}}"
    text = HEAD.replace('"n is {n}"', json.dumps(reason) + ' cite "{__class__} %(n)s"')
    rule_set, diagnostics = check_text(text)
    assert rule_set is not None, diagnostics
    note = "__import__('os').system('touch " + SENTINEL + "')"
    document = {"framework": "t", "n": 7, "note": note, "subject": {"name": "{__class__}", "__class__": note}}
    result = rule_set.evaluate(document, AS_OF, explain=True)
    decision = result.judgements["j"]
    assert not isinstance(decision, tuple)
    assert decision.reason == "__import__('os').system('touch " + SENTINEL + "') 7 %s {__class__}"
    assert decision.cite == "{__class__} %(n)s"
    data = json.loads(result.to_json(explain=True))
    assert data["subject"] == document["subject"]
    assert not (tmp_path / SENTINEL).exists() and not Path(SENTINEL).exists()


DUNDER_RULES = """\
framework __import__ "T"
  effective from 2014-01-01
enum __builtins__ "E": __init__ "I", __dict__ "D", "__import__('os')" "Q"
record __globals__:
  __code__: text "c"
evidence:
  __class__: __builtins__ "c"
  __self__: __globals__ "g"
define __subclasses__: boolean = __class__ = __init__
judgement __call__: __builtins__
  __dict__ when __subclasses__ because "{__self__.__code__} {__class__}"
  otherwise __class__ because "{__class__}"
"""


def test_python_special_names_are_ordinary_identifiers(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Frameworks, enums, members, records, fields and judgements named like Python internals are plain data."""
    rule_set = load_rules(write_rules({"t.fw": DUNDER_RULES}))
    code = "__import__('os').system('touch " + SENTINEL + "')"
    document = {"framework": "__import__", "__class__": "__init__", "__self__": {"__code__": code}}
    result = rule_set.evaluate(document, AS_OF, explain=True)
    decision = result.judgements["__call__"]
    assert not isinstance(decision, tuple)
    assert (decision.outcome, decision.reason) == ("__dict__", f"{code} I")
    quoted = rule_set.evaluate({**document, "__class__": "__import__('os')"}, AS_OF)
    decision = quoted.judgements["__call__"]
    assert not isinstance(decision, tuple)
    assert (decision.outcome, decision.reason) == ("__import__('os')", "Q")
    evaluated = [rule_set.evaluate(d, AS_OF).to_json() for d in (document, {**document, "__class__": "__dict__"})]
    rule_set.prepare()  # the compiled form: names and texts must stay data there too
    assert [
        rule_set.evaluate(d, AS_OF).to_json() for d in (document, {**document, "__class__": "__dict__"})
    ] == evaluated
    assert not Path(SENTINEL).exists()


@pytest.mark.parametrize("key", ["__class__", "__dict__", "__proto__", "constructor", "__init__"])
def test_python_special_names_in_evidence_are_unknown_fields(bundled: RuleSet, key: str) -> None:
    """An evidence key named like a Python or JavaScript internal is an unknown field, reported by pointer."""
    document = json.loads((EXAMPLES / "clas" / "complete.json").read_text(encoding="utf-8"))
    document[key] = {"__class__": "__import__('os')"}
    result = bundled.evaluate(document, AS_OF)
    assert result.status == "invalid_evidence"
    assert [(p.code, p.pointer) for p in result.problems] == [("evidence.unknown-field", f"/{key}")]


def test_a_rules_root_is_only_read(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Checking and evaluating leave every file in the rules root exactly as it was."""
    root = write_rules({"t.fw": HEAD, "shared/x.fw": 'outcome x "X"\n'})
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    rule_set = load_rules(root)
    rule_set.evaluate({"framework": "t", "n": 1}, AS_OF).to_json()
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
