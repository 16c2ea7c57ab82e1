"""Fuzzing the rule language: whatever the rule text, checking it ends in diagnostics, never a crash.

Rule text comes from the grammar itself (`hypothesis.extra.lark.from_lark` on the very
`Lark` object the parser uses) and from mutations of the bundled rule files (tokens
deleted, repeated, swapped; truncation; random and non-UTF-8 bytes; CRLF; tabs; very
long lines). The property: `check_rules` returns a `RuleSet` or a list of diagnostics,
no Python exception escapes, and every diagnostic has a location, a registered code and
renders as text. A few mutated files also go through the real `framework-dsl check`.

Budgets are small under the default `ci` profile; `HYPOTHESIS_PROFILE=long` runs the
same properties with the `long` profile's budget (as does `--hypothesis-profile=long`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from framework_dsl import RuleSet, check_rules, parser
from framework_dsl.diagnostics import CODES, Diagnostic, render_gnu, render_text, to_json
from framework_dsl.grammar import build_parser, rule_parser

if "HYPOTHESIS_PROFILE" in os.environ:  # HYPOTHESIS_PROFILE=long opts in to long runs
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
SHARED = RULES / "shared"
RULE_FILES = sorted(RULES.rglob("*.fw"))
# Read once: the strategies must not depend on files that may change while they run.
RULE_SOURCES = {path.relative_to(RULES).as_posix(): path.read_bytes() for path in RULE_FILES}
FRAMEWORK_DSL = Path(sys.executable).with_name("framework-dsl")

# Declaration keywords start a line in real rule files; the parser's error recovery
# splits a broken file at them, so generated text puts them at a line start too.
DECLARATION_KEYWORDS = set(parser.DECLARATION_KEYWORDS)


def budget(ci_examples: int) -> settings:
    """A small budget under the `ci` profile; the loaded profile's own under any other."""
    quiet = [HealthCheck.too_slow, HealthCheck.filter_too_much]
    if settings.get_current_profile_name() == "ci":
        return settings(max_examples=ci_examples, suppress_health_check=quiet)
    return settings(suppress_health_check=quiet)


@pytest.fixture(autouse=True, scope="module")
def _no_rules_cache() -> Iterator[None]:
    """Check every generated tree for real: no per-user cache hits, and no cache entries written."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FRAMEWORK_DSL_NO_CACHE", "1")
        yield


def generation_grammar() -> Lark:
    """The parser's own `Lark` object, or the same grammar and options built afresh.

    `rule_parser()` may come from Lark's table cache, and a cached `Lark` has no
    `.grammar` for `from_lark` to walk; `build_parser` builds the identical grammar.
    """
    parser = rule_parser()
    return parser if hasattr(parser, "grammar") else build_parser(strict=False)


# ---------------------------------------------------------------- the property


def assert_well_formed(diagnostics: list[Diagnostic]) -> None:
    """Every diagnostic is located, registered, and renders in all three forms."""
    for diagnostic in diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.code in CODES, diagnostic
        assert diagnostic.span is not None or diagnostic.document is not None, diagnostic
        assert diagnostic.message
        assert isinstance(render_text(diagnostic), str)
        assert isinstance(render_gnu(diagnostic), str)
        assert isinstance(to_json(diagnostic), dict)


def check_tree(files: dict[str, bytes], *, with_shared: bool = True) -> tuple[RuleSet | None, list[Diagnostic]]:
    """Check a fresh rules root holding `files` (and a copy of rules/shared), asserting the property."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "rules"
        root.mkdir()
        if with_shared and SHARED.is_dir():
            shutil.copytree(SHARED, root / "shared")
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        rule_set, diagnostics = check_rules(root)
    assert rule_set is None or isinstance(rule_set, RuleSet)
    assert isinstance(diagnostics, list)
    if rule_set is None:
        assert diagnostics, "no rule set and no diagnostic to say why"
    assert_well_formed(diagnostics)
    return rule_set, diagnostics


def check_text(text: str) -> tuple[RuleSet | None, list[Diagnostic]]:
    """Check one generated rule file, and if it loads, evaluate an empty document against each framework."""
    rule_set, diagnostics = check_tree({"fuzz.fw": text.encode("utf-8")})
    if rule_set is not None:
        for name in rule_set.frameworks:
            result = rule_set.evaluate({"framework": name}, as_of="2019-03-01")
            assert result.status in {"evaluated", "invalid_evidence", "not_in_force"}
            result.to_json()
    return rule_set, diagnostics


# ---------------------------------------------------------------- text from the grammar


GRAMMAR = generation_grammar()


def _spaced_terminals(start: str) -> dict[str, st.SearchStrategy[str]]:
    """Strategies for every terminal that keep tokens apart and use a small shared vocabulary.

    `from_lark` alone glues keywords to names (`frameworkA`), which lexes as one name, so
    most of its output fails at the first token. With spaced keywords and names drawn
    from a few words (some declared by the same text, some looking like Python), most
    generated files parse and reach the checker.
    """
    parser = GRAMMAR
    compiled_terminals, _, ignored = parser.grammar.compile([start], ())
    used = {t.name for t in compiled_terminals} | set(ignored)
    explicit: dict[str, st.SearchStrategy[str]] = {}
    for terminal in parser.terminals:
        if terminal.pattern.type == "str":
            word = str(terminal.pattern.value)
            lead = "\n" if word in DECLARATION_KEYWORDS else " "
            explicit[terminal.name] = st.just(f"{lead}{word} ")
    names = [
        "a",
        "b",
        "x",
        "items",
        "rating",
        "good",
        "inadequate",
        "shared",
        "scales",
        "review",
        "date",
        "value",
        "none",
        "not_rated",
        "__import__",
        "__class__",
        "os",
        "self",
    ]
    texts = [
        '"A"',
        '""',
        '"{x}"',
        '"{count of items}"',
        '"{a.b}"',
        '"{}"',
        '"{{x}}"',
        '"{"',
        '"}"',
        "\"{__import__('os')}\"",
        '"{__class__}"',
        '"shared/scales.fw"',
        '"../../etc/passwd"',
        '"/etc/passwd"',
        '"x.json"',
        '"\\\\"',
        '"\\n"',
        '"\\u00e9"',
        '"9A"',
        '"%s {x!r}"',
    ]
    dates = ["2019-03-01", "2014-10-01", "2019-02-30", "0000-00-00", "0001-01-01", "9999-12-31"]
    numbers = ["0", "1", "2", "0.5", "3.25", "1000000", "99999999999999999999999999999999999999"]
    explicit["NAME"] = st.sampled_from(names).map(lambda s: f" {s} ")
    explicit["STRING"] = st.sampled_from(texts).map(lambda s: f" {s} ")
    explicit["DATE"] = st.sampled_from(dates).map(lambda s: f" {s} ")
    explicit["NUMBER"] = st.sampled_from(numbers).map(lambda s: f" {s} ")
    explicit["NOT_IN"] = st.just(" not in ")
    explicit["COMMENT"] = st.sampled_from(["# a comment\n", "#{x}\n", "#\n"])
    for name in ignored:
        if name != "COMMENT":
            explicit[name] = st.sampled_from([" ", "\n", "\t", "\r\n", "\n\n"])
    return {name: strategy for name, strategy in explicit.items() if name in used}


RAW_RULE_TEXT = from_lark(GRAMMAR, start="start")
SPACED_RULE_TEXT = from_lark(GRAMMAR, start="start", explicit=_spaced_terminals("start"))

# `from_lark(start="interpolation")` must draw an expression every time, and the
# expression rules recurse at every level, so nearly every draw overruns: a few dozen
# examples take minutes. Interpolations are built from the same operators instead.
_LEAVES = st.sampled_from(
    [
        "a",
        "x",
        "items",
        "review",
        "review.date",
        "review.a",
        "good",
        "rating.good",
        "not_rated",
        "__class__",
        "__import__",
        "x.__class__",
        "1",
        "0",
        "2.5",
        '\\"t\\"',
        "2019-03-01",
        "3 years",
        "90 days",
        "as of",
        "true",
        "false",
        "[]",
        "os",
    ]
)


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    unary = [
        "not {}",
        "count of {}",
        "worst of {}",
        "best of {}",
        "sum of {}",
        "min of {}",
        "max of {}",
        "sorted {}",
        "({})",
        "{}.date",
        "{} is missing",
        "{} is present",
        "{} is empty",
        "[{}]",
    ]
    binary = [
        "{} and {}",
        "{} or {}",
        "{} = {}",
        "{} != {}",
        "{} < {}",
        "{} >= {}",
        "{} in {}",
        "{} not in {}",
        "{} if missing {}",
        "{} at most {}",
        "{} at least {}",
        "{} + {}",
        "{} - {}",
        "{} * {}",
        "{} / {}",
        "{} union {}",
        "{} intersect {}",
        "count of {} rated {}",
        "[{}, {}]",
        "(any i in {} where {})",
        "(all i in {} where {})",
        "(count i in {} where {})",
        "[i for i in {} where {}]",
        "{}({})",
    ]
    return st.one_of(
        st.tuples(st.sampled_from(unary), inner).map(lambda t: t[0].format(t[1])),
        st.tuples(st.sampled_from(binary), inner, inner).map(lambda t: t[0].format(t[1], t[2])),
    )


INTERPOLATION = st.recursive(_LEAVES, _grow, max_leaves=12)

CLAUSE_HEAD = """\
framework fuzz "Fuzz"
  effective from 2014-01-01
  dated by review.date
import shared.scales
record details:
  date: date "d"
  a: optional integer "a"
evidence:
  review: details "r"
  items: list of scales.rating "i"
  x: optional text "x"
"""


@budget(40)
@given(RAW_RULE_TEXT)
@example("")
@example("framework")
@example('framework a "A" effective from 2019-02-30')
def test_grammar_text_never_crashes_the_checker(text: str) -> None:
    """Text the grammar derives, with arbitrary characters in its tokens, checks to a rule set or diagnostics."""
    check_text(text)


@budget(60)
@given(SPACED_RULE_TEXT)
@example('\nframework x "X"\nimport shared.scales\nimport rating from shared.scales\n')
@example('\nframework __import__ "{__class__}"\n effective from 2019-03-01 until 2014-10-01\n')
def test_spaced_grammar_text_never_crashes_the_checker(text: str) -> None:
    """Grammar-derived files with separated tokens and a small vocabulary reach the checker and never crash it."""
    check_text(text)


@budget(40)
@given(INTERPOLATION)
@example("__import__('os').system('true')")
@example("x.__class__.__mro__")
def test_interpolated_expressions_never_crash(expression: str) -> None:
    """Any expression built from the language's operators, interpolated in a reason, checks without a crash."""
    reason = '"Because {' + expression + '}"'
    text = CLAUSE_HEAD + f"judgement j: boolean\n  otherwise true because {reason}\n"
    rule_set, _ = check_text(text)
    if rule_set is not None:
        evidence = {"framework": "fuzz", "review": {"date": "2019-01-01"}, "items": ["good"], "x": "t"}
        rule_set.evaluate(evidence).to_json()


# ---------------------------------------------------------------- mutations of the bundled rules

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\w+|\s+|.', re.DOTALL)
_JUNK = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    ",",
    ".",
    "..",
    "\x00",
    "\ufeff",
    "\u2028",
    "é",
    "∀",
    "__import__('os')",
    '"{__class__}"',
    '"unterminated',
    "\r",
    "\x0c",
    "\t",
    "-",
    "not in",
    "2019-13-45",
    "1e999",
    "99999999999999999999999999999999999999999",
]


def _tokens(data: bytes) -> list[str]:
    return _TOKEN.findall(data.decode("utf-8", "surrogateescape"))


def _join(tokens: list[str]) -> bytes:
    return "".join(tokens).encode("utf-8", "surrogateescape")


@st.composite
def _mutation(draw: st.DrawFn, data: bytes) -> bytes:
    """One edit of a rule file's bytes."""
    tokens = _tokens(data) or [""]
    index = draw(st.integers(0, len(tokens) - 1))
    other = draw(st.integers(0, len(tokens) - 1))
    kind = draw(
        st.sampled_from(
            ["delete", "duplicate", "swap", "replace", "junk", "truncate", "bytes", "latin-1", "crlf", "tabs", "long"]
        )
    )
    if kind == "delete":
        del tokens[index]
    elif kind == "duplicate":
        tokens.insert(index, tokens[index])
    elif kind == "swap":
        tokens[index], tokens[other] = tokens[other], tokens[index]
    elif kind == "replace":
        tokens[index] = tokens[other]
    elif kind == "junk":
        tokens.insert(index, draw(st.sampled_from(_JUNK)))
    elif kind == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    elif kind == "bytes":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    elif kind == "latin-1":
        return "".join(tokens).encode("latin-1", "replace") + b"\n# caf\xe9\n"
    elif kind == "crlf":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    elif kind == "tabs":
        return re.sub(rb"(?m)^(  )+", lambda m: b"\t" * (len(m.group(0)) // 2), data)
    else:  # a very long line: a long name, a long text or a long comment
        filler = draw(st.sampled_from(["x" * 20_000, '"' + "y" * 200_000 + '"', "# " + "z" * 200_000]))
        tokens.insert(index, " " + filler + " ")
    return _join(tokens)


@st.composite
def mutated_rules(draw: st.DrawFn) -> tuple[str, bytes]:
    """A bundled rule file (path relative to rules/) with one to three edits."""
    name = draw(st.sampled_from(sorted(RULE_SOURCES)))
    data = RULE_SOURCES[name]
    for _ in range(draw(st.integers(1, 3))):
        data = draw(_mutation(data))
    return name, data


@pytest.mark.skipif(not RULE_FILES, reason="no bundled rule files")
@budget(25)
@given(mutated_rules())
def test_mutated_bundled_rules_never_crash_the_checker(mutated: tuple[str, bytes]) -> None:
    """A bundled rule file with tokens deleted, repeated, swapped, truncated or garbled checks without a crash."""
    name, data = mutated
    check_tree({name: data})


def _whole_tree(edit: Callable[[bytes], bytes]) -> dict[str, bytes]:
    return {name: edit(data) for name, data in RULE_SOURCES.items()}


WHOLE_TREE_EDITS: dict[str, Callable[[bytes], bytes]] = {
    "crlf": lambda b: b.replace(b"\n", b"\r\n"),
    "bare-cr": lambda b: b.replace(b"\n", b"\r"),
    "tabs": lambda b: re.sub(rb"(?m)^(  )+", lambda m: b"\t" * (len(m.group(0)) // 2), b),
    "bom": lambda b: b"\xef\xbb\xbf" + b,
    "nul": lambda b: b.replace(b"\n", b"\n\x00", 1),
    "latin-1": lambda b: b + b"\n# caf\xe9\n",
    "utf-16": lambda b: b.decode("utf-8").encode("utf-16"),
    "truncated-half": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "long-line": lambda b: b + b"\n# " + b"x" * 1_000_000 + b"\n",
    "long-name": lambda b: b + b"\noutcome " + b"n" * 100_000 + b' "N"\n',
}


@pytest.mark.skipif(not RULE_FILES, reason="no bundled rule files")
@pytest.mark.parametrize("edit", sorted(WHOLE_TREE_EDITS))
def test_every_bundled_file_edited_alike_never_crashes(edit: str) -> None:
    """The whole bundled tree with one edit applied to every file (CRLF, tabs, BOM, NUL, ...) checks without a crash."""
    rule_set, diagnostics = check_tree(_whole_tree(WHOLE_TREE_EDITS[edit]), with_shared=False)
    if edit in {"crlf", "tabs", "bom"}:  # layout only: the same findings as the files as shipped
        _, shipped = check_tree(_whole_tree(lambda b: b), with_shared=False)
        assert sorted(d.code for d in diagnostics) == sorted(d.code for d in shipped)
    if edit in {"latin-1", "utf-16"}:
        assert rule_set is None
        assert {d.code for d in diagnostics} >= {"modules.unreadable"}


# ---------------------------------------------------------------- nesting and dependency depth

DEEP_HEAD = 'framework deep "Deep"\n  effective from 2014-01-01\nevidence:\n  n: integer "n"\n'
DEEP_CASES = {
    "a-thousand-additions": DEEP_HEAD + "define d: integer = " + " + ".join(["n"] * 1000) + "\n",
    "a-thousand-nots": DEEP_HEAD + "define d: boolean = " + "not " * 1000 + "true\n",
    "a-thousand-ands": DEEP_HEAD + "define d: boolean = " + " and ".join(["n > 0"] * 1000) + "\n",
    "lists-nested-a-thousand-deep": DEEP_HEAD + "define d = " + "[" * 1000 + "n" + "]" * 1000 + "\n",
    "example-json-nested-a-thousand-deep": DEEP_HEAD
    + "judgement j: boolean\n  otherwise true\n"
    + 'example "deep" given '
    + '{"a": ' * 1000
    + "1"
    + "}" * 1000
    + "\n  expect j = true\n",
}


@pytest.mark.parametrize("case", sorted(DEEP_CASES))
def test_deeply_nested_rule_text_gives_diagnostics(case: str) -> None:
    """A rule file nested a thousand levels deep is a located `syntax.too-deep` diagnostic, not a RecursionError."""
    rule_set, diagnostics = check_tree({"deep.fw": DEEP_CASES[case].encode("utf-8")}, with_shared=False)
    assert rule_set is None
    assert [d.code for d in diagnostics] == ["syntax.too-deep"]
    assert diagnostics[0].span is not None


def _chain(kind: str, length: int) -> str:
    """`length` definitions or judgements, each using the next one (declared after it), the last reading `n`."""
    if kind == "definitions":
        body = [f"define d{i}: integer = {f'd{i + 1}' if i < length - 1 else 'n'} + 1\n" for i in range(length)]
        return DEEP_HEAD + "".join(body) + "judgement last: integer\n  otherwise d0\n"
    body = [
        f"judgement j{i}: integer\n  otherwise {f'j{i + 1}' if i < length - 1 else 'n'} + 1\n" for i in range(length)
    ]
    return DEEP_HEAD + "".join(body)


@pytest.mark.parametrize("kind", ["definitions", "judgements"])
@pytest.mark.parametrize("length", [48, 300, 1000])
def test_long_dependency_chains_check_and_evaluate(kind: str, length: int) -> None:
    """Hundreds of definitions or judgements chained one to the next check and evaluate, or are a diagnostic."""
    rule_set, _ = check_tree({"chain.fw": _chain(kind, length).encode("utf-8")}, with_shared=False)
    if rule_set is not None:
        result = rule_set.evaluate({"framework": "deep", "n": 1}, as_of="2019-03-01")
        assert result.status == "evaluated"
        result.to_json()


EMPTY_LIST_AGGREGATES = {
    "sum-of-sum": "judgement j: integer\n  otherwise sum of sum of []\n",
    "sum-compared-with-text": "judgement j: boolean\n  true when sum of [] < x\n  otherwise false\n",
    "count-of-a-sum": "judgement j: boolean\n  true when count of (sum of []) = 0\n  otherwise false\n",
    "member-of-a-sum": "judgement j: boolean\n  true when x in sum of []\n  otherwise false\n",
    "worst-of-a-sum-in-a-reason": 'judgement j: boolean\n  otherwise true because "{worst of sum of []}"\n',
    "a-number-as-a-text-outcome": "judgement j: text\n  otherwise sum of []\n",
}


@pytest.mark.parametrize("case", sorted(EMPTY_LIST_AGGREGATES))
def test_aggregates_of_an_empty_list_literal_are_typed(case: str) -> None:
    """`sum of []` is a number: using it as a list or a text is a `types.mismatch`, never a crash or a wrong outcome."""
    head = 'framework t "T"\n  effective from 2014-01-01\nevidence:\n  x: text "x"\n'
    rule_set, diagnostics = check_tree(
        {"t.fw": (head + EMPTY_LIST_AGGREGATES[case]).encode("utf-8")}, with_shared=False
    )
    assert rule_set is None
    assert "types.mismatch" in [d.code for d in diagnostics]


def test_lone_surrogate_escape_in_rule_text_is_refused_or_harmless() -> None:
    """A lone-surrogate escape in a title or reason is a diagnostic, or its result still encodes as UTF-8."""
    text = (
        DEEP_HEAD.replace('"Deep"', '"Deep \\ud800"') + 'judgement j: boolean\n  otherwise true because "x \\udfff"\n'
    )
    rule_set, _ = check_tree({"s.fw": text.encode("utf-8")}, with_shared=False)
    if rule_set is not None:
        rule_set.evaluate({"framework": "deep", "n": 1}, as_of="2019-03-01").to_json().encode("utf-8")


# ---------------------------------------------------------------- the real command


def _run_check(*roots: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FRAMEWORK_DSL), "check", *map(str, roots)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def _mutated_root(tmp_path: Path, name: str, edit: Callable[[bytes], bytes]) -> Path:
    root = tmp_path / name
    shutil.copytree(SHARED, root / "shared")
    (root / "clas").mkdir()
    (root / "clas" / "clas.fw").write_bytes(edit(RULE_SOURCES["clas/clas.fw"]))
    return root


CLI_EDITS: dict[str, Callable[[bytes], bytes]] = {
    "crlf-and-tabs": lambda b: WHOLE_TREE_EDITS["tabs"](b).replace(b"\n", b"\r\n"),
    "truncated": lambda b: b[: len(b) * 2 // 3],
    "garbled": lambda b: b[:200] + b"\xff\xfe\x00{{}}\x80" + b[200:],
    "tokens-swapped": lambda b: b.replace(b"judgement coverage", b"coverage judgement", 1),
}


@pytest.mark.skipif("clas/clas.fw" not in RULE_SOURCES, reason="needs the bundled clas rules")
def test_framework_dsl_check_on_mutated_files_exits_0_or_2(tmp_path: Path) -> None:
    """`framework-dsl check` on mutated rule files (CRLF and tabs, truncated, garbled) exits 0 or 2, no traceback."""
    roots = [_mutated_root(tmp_path, edit, CLI_EDITS[edit]) for edit in sorted(CLI_EDITS)]
    completed = _run_check(*roots)  # one process for all: each root is parsed and checked on its own
    assert completed.returncode in (0, 2), completed.stderr
    assert "Traceback" not in completed.stderr
    assert "internal error" not in completed.stderr
    assert "unexpected" in completed.stdout  # the truncated and garbled files were really read


def test_framework_dsl_check_on_deeply_nested_rules_exits_2(tmp_path: Path) -> None:
    """`framework-dsl check` on a rule file with a thousand chained additions reports it and exits 2."""
    root = tmp_path / "deep"
    root.mkdir()
    (root / "deep.fw").write_text(DEEP_CASES["a-thousand-additions"], encoding="utf-8")
    completed = _run_check(root)
    assert "Traceback" not in completed.stderr
    assert completed.returncode == 2, completed.stderr


# ---------------------------------------------------------------- numbers at and past every limit, in rules

# Rule literals have no exponent (`\d+(\.\d+)?`), so the limits a rule's number meets are
# its digits: the arithmetic context's 34 digits of precision, the operators' integer
# bound (10,000 bits, about 3,011 digits), Python's integer conversion (4,300 digits), and
# a duration's amount (dates end at year 9999). The same numbers go into an example's
# `given` JSON, where the integer conversion limit is a located `syntax.invalid-literal`.
RULE_NUMBERS = [
    "9" * 34,
    "9" * 35,
    "0." + "9" * 35,
    "9" * 3010,
    "9" * 3012,
    "9" * 4300,
    "9" * 4301,
    "9" * 4300 + "." + "9" * 100,
    "9" * 20_000,
]
NUMBER_RULES = """\
framework numbers "Numbers"
  effective from 2014-01-01
evidence:
  i: integer "an integer"
  x: decimal "a decimal"
  d: date "a date"
judgement as_integer: integer
  otherwise i + {integer}
judgement as_decimal: decimal
  otherwise x * {decimal}
judgement compared: boolean
  otherwise i > {integer}
judgement later: date
  otherwise d + {integer} days
example "numbers at the limits"
  given {{"framework": "numbers", "i": {integer}, "x": {decimal}, "d": "2020-01-01"}}
  as of 2020-06-30
  expect compared = false
"""


@budget(40)
@given(st.sampled_from(RULE_NUMBERS), st.sampled_from(RULE_NUMBERS))
def test_numbers_at_and_past_every_limit_in_rules_check_evaluate_and_test(integer: str, decimal: str) -> None:
    """Huge literals in expressions and in an example's JSON: located diagnostics or a rule set; evaluating and
    running its examples give results on both paths (an evaluation error at worst), never an exception."""
    from framework_dsl.examples import run_examples

    whole = integer.split(".", maxsplit=1)[0]
    text = NUMBER_RULES.format(integer=whole, decimal=decimal if "." in decimal else decimal + ".5")
    rule_set, diagnostics = check_tree({"numbers.fw": text.encode("utf-8")}, with_shared=False)
    if len(whole) > 4300:
        assert "syntax.invalid-literal" in [d.code for d in diagnostics]
        return
    assert rule_set is not None, diagnostics
    document = '{"framework": "numbers", "i": 1, "x": 1.5, "d": "2020-01-01"}'
    compiled = rule_set.evaluate_json(document, "2020-06-30")
    reference = rule_set.evaluate_json(document, "2020-06-30", engine="reference")
    assert compiled.status == "evaluated" and compiled.to_json() == reference.to_json()
    report = run_examples(rule_set)
    assert len(report.outcomes) == 1
