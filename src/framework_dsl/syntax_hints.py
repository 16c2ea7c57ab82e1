"""What a newcomer probably meant: syntax from other languages, recognised in a declaration that failed to parse.

When a declaration does not parse, the parser's own message names the token it could
not use, which is often not where the mistake is (`good when pct >= 63% because ...`
fails at `because`). `natural_attempt` looks at the declaration's words for the habits
a newcomer brings (`63%`, `63 <= pct <= 87`, `==`, `&&`, `is not empty`,
`average(scores)`, `average scores`, `round to 1 decimal places` with no value) and returns a
diagnostic at the habit that says what to write instead, or None. Each habit is
invalid in every version of the language, so nothing valid is ever flagged; the
checks that would be made valid by a construct the grammar gains (`between`) look the
construct up in the grammar first.

`keyword_name_problem` says whether a declared name is a keyword that can never be
used where it would be read (`define all = ...`: `all` starts `all x in ...`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import attrs

from framework_dsl.diagnostics import Diagnostic
from framework_dsl.grammar import rule_parser
from framework_dsl.source import SourceFile, Span

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\\n]|\\.)*")
   |(?P<comment>\#[^\n]*)
   |(?P<number>\d+(?:\.\d+)?(?:-\d{2}-\d{2})?)
   |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
   |(?P<op>->|==|!=|<=|>=|<>|=>|=<|&&|\|\||[-+*/<>=!&|%(),.\[\]{}:;])
   |(?P<space>\s+)
   |(?P<other>.)
    """,
    re.VERBOSE,
)
COMPARISONS = {"=", "!=", "<", ">", "<=", ">="}
_OPEN = {"(": ")", "[": "]", "{": "}"}
# Words and signs after which a new condition or operand begins: a chain of
# comparisons never spans one of them.
_SEPARATORS = {
    "and",
    "or",
    "not",
    "when",
    "otherwise",
    "because",
    "cite",
    "where",
    "in",
    "if",
    "is",
    "for",
    "each",
    "at",
    "expect",
    "given",
    ",",
    ":",
    "&&",
    "||",
    "AND",
    "OR",
    "then",
    "else",
    *("framework", "import", "outcome", "scale", "enum", "record", "evidence", "define", "judgement", "check"),
    "example",
}
_DECLARATION_WORDS = {"framework", "outcome", "scale", "enum", "record", "define", "judgement", "check", "each"}
_AGGREGATES = ("sum", "min", "max", "average", "worst", "best")
_FUNCTION_WORDS = {
    **{word: f"{word} of" for word in _AGGREGATES},
    "count": "count of",
    "avg": "average of",
    "mean": "average of",
    "len": "count of",
    "length": "count of",
    "size": "count of",
}
_FOREIGN_SIGNS = {
    "==": ("`==` is not an operator here", "equality is a single `=`: write `=`"),
    "=>": ("`=>` is not an operator here", "write `>=` for at least"),
    "=<": ("`=<` is not an operator here", "write `<=` for at most"),
    "<>": ("`<>` is not an operator here", "write `!=` for not equal"),
    "&&": ("`&&` is not an operator here", "write `and`"),
    "&": ("`&` is not an operator here", "write `and`"),
    "||": ("`||` is not an operator here", "write `or`"),
    "|": ("`|` is not an operator here", "write `or`"),
    "!": ("`!` is not an operator here", "write `not` before a condition (`!=` is not equal)"),
    ";": ("`;` is not used here", "a declaration ends where the next begins; remove the `;`"),
}
_UPPER_WORDS = {"AND": "and", "OR": "or", "NOT": "not", "TRUE": "true", "FALSE": "false"}


@attrs.frozen
class _Tok:
    kind: str
    text: str
    start: int  # offset in the source
    end: int
    depth: int  # brackets open before it


def _tokens(text: str, offset: int) -> list[_Tok]:
    tokens: list[_Tok] = []
    depth = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("space", "comment"):
            continue
        word = match.group(0)
        if word in (")", "]", "}"):
            depth = max(0, depth - 1)
        tokens.append(_Tok(kind, word, offset + match.start(), offset + match.end(), depth))
        if word in _OPEN:
            depth += 1
    return tokens


@functools.cache
def grammar_keywords() -> frozenset[str]:
    """Every word the grammar spells out (`when`, `all`, `of`, ...)."""
    return frozenset(
        str(t.pattern.value)
        for t in rule_parser().terminals
        if t.pattern.type == "str" and str(t.pattern.value).isidentifier()
    )


def _is_operand_end(token: _Tok | None) -> bool:
    if token is None:
        return False
    if token.kind in ("number", "string"):
        return True
    if token.text in (")", "]"):
        return True
    return token.kind == "name" and token.text not in grammar_keywords() | _SEPARATORS


def _is_operand_start(token: _Tok | None) -> bool:
    if token is None:
        return False
    if token.kind in ("number", "string"):
        return True
    if token.text in ("(", "["):
        return True
    return token.kind == "name" and token.text not in {"when", "because", "cite", "otherwise", "and", "or"}


@attrs.frozen
class _Finding:
    start: int
    end: int
    code: str
    message: str
    hint: str


def natural_attempt(source: SourceFile, start: int, end: int, error_at: int) -> Diagnostic | None:
    """A diagnostic for the newcomer's habit nearest before `error_at` in `source[start:end]`, or None."""
    tokens = _tokens(source.text[start:end], start)
    findings: list[_Finding] = []
    for detect in _DETECTORS:
        findings.extend(detect(source, tokens))
    before = [f for f in findings if f.start <= error_at]
    if before:
        chosen = max(before, key=lambda f: (f.start, -f.end))
    else:  # `when pct > 1 then good` fails at `pct`; the habit is later on that line
        line_end = source.text.find("\n", error_at)
        line_end = len(source.text) if line_end < 0 else line_end
        after = [f for f in findings if error_at < f.start < line_end]
        if not after:
            return None
        chosen = min(after, key=lambda f: f.start)
    return Diagnostic(
        code=chosen.code,
        message=chosen.message,
        span=Span(source, chosen.start, max(chosen.end, chosen.start + 1)),
        hint=chosen.hint,
    )


def _text(source: SourceFile, tokens: list[_Tok]) -> str:
    if not tokens:
        return ""
    return " ".join(source.text[tokens[0].start : tokens[-1].end].split())


def _operand_before(tokens: list[_Tok], index: int) -> list[_Tok]:
    """The tokens of the operand that ends just before `tokens[index]`, at its depth."""
    depth = tokens[index].depth
    first = index
    while first > 0:
        previous = tokens[first - 1]
        if previous.depth < depth or (previous.depth == depth and _stops(previous)):
            break
        first -= 1
    return tokens[first:index]


def _operand_after(tokens: list[_Tok], index: int) -> list[_Tok]:
    """The tokens of the operand that starts just after `tokens[index]`, at its depth."""
    depth = tokens[index].depth
    last = index + 1
    while last < len(tokens):
        token = tokens[last]
        if token.depth < depth or (token.depth == depth and (_stops(token) or token.text in COMPARISONS)):
            break
        last += 1
    return tokens[index + 1 : last]


def _group(tokens: list[_Tok], open_index: int) -> list[_Tok] | None:
    """The tokens inside the bracket at `open_index`, or None when it is not closed."""
    depth = tokens[open_index].depth
    for last in range(open_index + 1, len(tokens)):
        if tokens[last].depth == depth and tokens[last].text in ")]}":
            return tokens[open_index + 1 : last]
    return None


def _stops(token: _Tok) -> bool:
    return token.text in _SEPARATORS or token.text in COMPARISONS or token.text in _OPEN or token.text in ")]}"


# ---------------------------------------------------------------- the habits


def _percent(source: SourceFile, tokens: list[_Tok]) -> list[_Finding]:
    found = []
    for index, token in enumerate(tokens):
        if token.text != "%":
            continue
        previous = tokens[index - 1] if index else None
        if previous is not None and previous.kind == "number" and previous.end == token.start:
            found.append(
                _Finding(
                    previous.start,
                    token.end,
                    "syntax.percent-sign",
                    f"`{previous.text}%`: a number cannot carry a `%` sign",
                    f"percentages are plain numbers: write `{previous.text}` (a percentage is `100 * part / whole`)",
                )
            )
        else:
            found.append(
                _Finding(
                    token.start,
                    token.end,
                    "syntax.percent-sign",
                    "`%` is not an operator here",
                    "percentages are plain numbers (`63`, not `63%`); a percentage is `100 * part / whole`",
                )
            )
    return found


def _chained(source: SourceFile, tokens: list[_Tok]) -> list[_Finding]:
    found = []
    last_comparison: dict[int, int] = {}  # depth -> index of a comparison still open at that depth
    definitional = False  # the next `=` at depth 0 is `define x =`, `expect x =` or `let x =`
    in_scale = False  # `scale rating: good > fair > poor` orders grades
    for index, token in enumerate(tokens):
        if token.depth == 0 and token.text in _SEPARATORS and token.text not in ("and", "or", "not"):
            if token.text in ("scale", "define", "expect", "framework", "import", "outcome", "enum", "record"):
                in_scale = token.text == "scale"
            elif token.text in ("evidence", "judgement", "check", "example"):
                in_scale = False
        if in_scale:
            continue
        if token.text in ("define", "expect", "let") and token.depth == 0:
            definitional = True
            last_comparison.clear()
            continue
        if token.text in COMPARISONS:
            if token.text == "=" and definitional and token.depth == 0:
                definitional = False
                continue
            first = last_comparison.get(token.depth)
            if first is not None:
                left = _operand_before(tokens, first)
                middle = tokens[first + 1 : index]
                right = _operand_after(tokens, index)
                if left and middle and right:
                    found.append(_chain_finding(source, tokens[first], token, left, middle, right))
            last_comparison[token.depth] = index
        elif _stops(token):
            last_comparison.pop(token.depth, None)
            if token.text in _OPEN:
                last_comparison.pop(token.depth + 1, None)
    return found


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _chain_finding(
    source: SourceFile, first: _Tok, second: _Tok, left: list[_Tok], middle: list[_Tok], right: list[_Tok]
) -> _Finding:
    a, b, c = _text(source, left), _text(source, middle), _text(source, right)
    written = f"{a} {first.text} {b} {second.text} {c}"
    hint = f"write `{b} {_FLIPPED[first.text]} {a} and {b} {second.text} {c}`"
    if first.text == second.text == "<=":
        hint += f", or `{b} between {a} and {c}` (both ends included)"
    elif first.text == second.text == ">=":
        hint += f", or `{b} between {c} and {a}` (both ends included)"
    return _Finding(
        left[0].start,
        right[-1].end,
        "syntax.chained-comparison",
        f"comparisons cannot be chained: `{written}`",
        hint + "; each comparison has one left and one right side",
    )


def _between(source: SourceFile, tokens: list[_Tok]) -> list[_Finding]:
    if "between" in grammar_keywords():
        return []  # the language has `X between A and B`
    found = []
    for index, token in enumerate(tokens):
        if token.text != "between" or not _is_operand_end(tokens[index - 1] if index else None):
            continue
        value = _text(source, _operand_before(tokens, index))
        low = _operand_after(tokens, index)
        after = index + 1 + len(low)
        high = _operand_after(tokens, after) if after < len(tokens) and tokens[after].text == "and" else []
        if not low or not high:
            continue
        a, b = _text(source, low), _text(source, high)
        found.append(
            _Finding(
                token.start,
                token.end,
                "syntax.chained-comparison",
                "`between` is not available in this version of the language",
                f"write `{value} >= {a} and {value} <= {b}`",
            )
        )
    return found


def _foreign(source: SourceFile, tokens: list[_Tok]) -> list[_Finding]:
    found = []
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.text in _FOREIGN_SIGNS and token.kind == "op":
            if token.text == "!" and following is not None and following.text == "=" and following.start == token.end:
                continue
            message, hint = _FOREIGN_SIGNS[token.text]
            found.append(_Finding(token.start, token.end, "syntax.foreign-operator", message, hint))
        elif token.kind == "name" and token.text in _UPPER_WORDS and token.text not in grammar_keywords():
            lower = _UPPER_WORDS[token.text]
            if _is_operand_start(following) or _is_operand_end(previous):
                found.append(
                    _Finding(
                        token.start,
                        token.end,
                        "syntax.foreign-operator",
                        f"`{token.text}` is not a keyword",
                        f"keywords are written in lower case: write `{lower}`",
                    )
                )
        elif token.text == "contains" and _is_operand_end(previous) and _is_operand_start(following):
            container = _text(source, _operand_before(tokens, index))
            item = _text(source, _operand_after(tokens, index))
            found.append(
                _Finding(
                    token.start,
                    token.end,
                    "syntax.foreign-operator",
                    "`contains` is not an operator here",
                    f"write `{item} in {container}`",
                )
            )
        elif token.text in ("else", "elif", "elsif", "then") and token.text not in grammar_keywords():
            found.append(
                _Finding(
                    token.start,
                    token.end,
                    "syntax.foreign-operator",
                    f"`{token.text}` is not a keyword",
                    'a clause reads `OUTCOME when CONDITION because "..."`; the last may read `otherwise OUTCOME`',
                )
            )
        elif (
            token.text == "if"
            and following is not None
            and following.text != "missing"
            and _is_operand_end(previous)
            and _is_operand_start(following)
        ):
            found.append(
                _Finding(
                    token.start,
                    token.end,
                    "syntax.foreign-operator",
                    "`if` only gives a default here (`X if missing Y`)",
                    'a clause reads `OUTCOME when CONDITION because "..."`: write `when` for `if`',
                )
            )
        elif token.text == "is" and following is not None:
            subject = _text(source, _operand_before(tokens, index))
            value = _text(source, _operand_after(tokens, index))
            if following.text in ("null", "None", "nil"):
                hint = f"an absent value is tested with `{subject} is missing`"
            elif value and following.text not in grammar_keywords():
                hint = f"`is` tests `empty`, `missing` or `present`; to compare, write `{subject} = {value}`"
            else:
                continue
            found.append(
                _Finding(
                    token.start, following.end, "syntax.foreign-operator", f"`is {following.text}` is not a test", hint
                )
            )
    return found


def _is_not(source: SourceFile, tokens: list[_Tok]) -> list[_Finding]:
    found = []
    for index, token in enumerate(tokens[:-2]):
        if token.text != "is" or tokens[index + 1].text != "not":
            continue
        subject = _text(source, _operand_before(tokens, index))
        what = tokens[index + 2]
        if what.text == "empty":
            hint = f"write `not ({subject} is empty)`, or `count of {subject} > 0`"
        elif what.text == "missing":
            hint = f"write `{subject} is present`"
        elif what.text == "present":
            hint = f"write `{subject} is missing`"
        else:
            value = _text(source, _operand_after(tokens, index + 1))
            hint = f"to compare, write `{subject} != {value}`" if value else "write `not (...)` around the test"
        found.append(
            _Finding(
                token.start,
                what.end,
                "syntax.is-not",
                f"`is not {what.text}` is not a test",
                hint,
            )
        )
    return found


def _calls(source: SourceFile, tokens: list[_Tok]) -> list[_Finding]:
    found = []
    for index, token in enumerate(tokens):
        if token.kind != "name":
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        previous = tokens[index - 1] if index else None
        if previous is not None and (previous.text == "." or previous.text in _DECLARATION_WORDS):
            continue  # a field (`x.count`) or a declared name (`framework worst "..."`)
        word = token.text
        if word == "round":
            found.extend(_round(source, tokens, index))
            continue
        if word not in _FUNCTION_WORDS or following is None:
            continue
        form = _FUNCTION_WORDS[word]
        if following.text == "(":
            inner = _group(tokens, index + 1)
            argument = _text(source, inner) if inner else "..."
            found.append(
                _Finding(
                    token.start,
                    following.end,
                    "syntax.call-form",
                    f"`{word}({argument})` is not how the language writes it: there are no function calls",
                    f"write `{form} {argument}`",
                )
            )
        elif word in ("avg", "mean") and following.text == "of":
            found.append(
                _Finding(
                    token.start,
                    following.end,
                    "syntax.call-form",
                    f"`{word} of` is not a keyword",
                    "write `average of`",
                )
            )
        elif word in (*_AGGREGATES, "count") and following.text != "of" and _is_operand_start(following):
            if word == "count" and following.kind == "name":
                after = tokens[index + 2] if index + 2 < len(tokens) else None
                if after is not None and after.text == "in":
                    continue  # `count x in xs where ...`
            argument = _text(source, _operand_after(tokens, index))
            found.append(
                _Finding(
                    token.start,
                    following.end,
                    "syntax.call-form",
                    f"`{word}` is followed by `of`",
                    f"write `{form} {argument}`",
                )
            )
    return found


def _round(source: SourceFile, tokens: list[_Tok], index: int) -> list[_Finding]:
    token = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if following is None or not (_is_operand_start(following) or following.text in ("to", "of")):
        return []  # a field or definition called `round`, compared or added
    if following.text in ("to", "of"):
        return [
            _Finding(
                token.start,
                following.end,
                "syntax.call-form",
                "`round` needs the value to round",
                "write `round X to N decimal places`, for example `round pct to 1 decimal places`",
            )
        ]
    return []  # `round X` (a whole number) and `round X to N decimal places` are the language's own


_DETECTORS: tuple[Callable[[SourceFile, list[_Tok]], list[_Finding]], ...] = (
    _percent,
    _chained,
    _between,
    _foreign,
    _is_not,
    _calls,
)


_UNKNOWN_NAME_HINTS = {
    "null": "an absent value is tested with `X is missing` (or given a default with `X if missing Y`)",
    "None": "an absent value is tested with `X is missing` (or given a default with `X if missing Y`)",
    "nil": "an absent value is tested with `X is missing` (or given a default with `X if missing Y`)",
    "True": "write `true`",
    "TRUE": "write `true`",
    "False": "write `false`",
    "FALSE": "write `false`",
    "round": "`round` needs the value and the places: write `round X to N decimal places`",
    "mean": "write `average of X`",
    "avg": "write `average of X`",
    "len": "write `count of X`",
    "length": "write `count of X`",
    "today": "the evaluation date is `as of`",
    "now": "the evaluation date is `as of`",
}


def unknown_name_hint(name: str) -> str | None:
    """What a newcomer meant by an undeclared word from another language (`null`, `True`, `round`), or None."""
    if name in grammar_keywords() and name != "null":
        return None  # the grammar has it: a use the checker explains itself
    return _UNKNOWN_NAME_HINTS.get(name)


# ---------------------------------------------------------------- keywords as names


@functools.cache
def keyword_name_problem(name: str, *, as_type: bool = False) -> str | None:
    """Why `name` cannot be declared (it is a keyword where it would be read), or None."""
    if name not in grammar_keywords():
        return None
    parser = rule_parser()
    probes = [f"define x__ = {name}\n", f"define x__ = [{name}, 1]\n", f"define x__ = 1 + {name}\n"]
    for probe in probes:
        try:
            tree = parser.parse(probe, start="start")
        except Exception:  # any parse failure means the name cannot be read there
            return f"`{name}` is a keyword"
        if not any(getattr(token, "type", None) == "NAME" and token == name for token in tree.scan_values(_any)):
            return f"`{name}` is a keyword (it reads as a value of its own)"
    if as_type:
        try:
            parser.parse(f"judgement x__: {name}\n  otherwise y__\n", start="start")
        except Exception:  # not a type there
            return f"`{name}` is a keyword of types"
    return None


def _any(value: object) -> bool:
    return True


_KEYWORD_MEANINGS = {
    "all": "`all x in LIST where CONDITION`",
    "any": "`any x in LIST where CONDITION`",
    "no": "`no x in LIST where CONDITION`",
    "count": "`count of LIST` or `count x in LIST where CONDITION`",
    "not": "`not CONDITION`",
    "sorted": "`sorted LIST`",
    "as": "`as of`, the evaluation date",
    "true": "the value true",
    "false": "the value false",
}


def keyword_hint(name: str) -> str:
    """What a keyword means where a value is read, for the `names.keyword` hint."""
    meaning = _KEYWORD_MEANINGS.get(name, f"`{name} of LIST`" if name in _AGGREGATES else f"the keyword `{name}`")
    return f"where a value is read, `{name}` always means {meaning}, so nothing could refer to this name"


_DECLARED = re.compile(
    r"^(?:define|judgement|check|outcome|scale|enum|record)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE
)
_FIELD = re.compile(r"^[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*:", re.MULTILINE)
_EVIDENCE_BLOCK = re.compile(r"^evidence[ \t]*:(.*?)(?=^\S|\Z)", re.MULTILINE | re.DOTALL)


def keyword_declarations(source: SourceFile) -> list[tuple[str, Span]]:
    """Names declared in a file (definitions, judgements, evidence fields, ...) that are unusable keywords."""
    text = _mask(source.text)
    found = [(m.group(1), m.start(1)) for m in _DECLARED.finditer(text)]
    for block in _EVIDENCE_BLOCK.finditer(text):
        found.extend((m.group(1), block.start(1) + m.start(1)) for m in _FIELD.finditer(block.group(1)))
    return [
        (name, Span(source, start, start + len(name)))
        for name, start in sorted(found, key=lambda item: item[1])
        if keyword_name_problem(name) is not None
    ]


def keyword_use(
    source: SourceFile, start: int, error_at: int, names: set[str], declared_at: set[int]
) -> tuple[str, Span] | None:
    """The last use of one of `names`, in `source[start:error_at]` (its parse error), as a value; or None."""
    tokens = _tokens(source.text[start : error_at + 1], start)
    for index in range(len(tokens) - 1, -1, -1):
        token = tokens[index]
        if token.text in names and token.start not in declared_at and (index == 0 or tokens[index - 1].text != "."):
            return token.text, Span(source, token.start, token.end)
    return None


def _mask(text: str) -> str:
    """`text` with quoted text and comments blanked out, offsets unchanged."""
    return re.sub(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*', lambda m: " " * len(m.group(0)), text)


_FORMAT_SPEC = re.compile(r"^(?P<value>[^:]+?)\s*:\s*(?P<spec>[<>^=+ #0-9,_]*(?:\.(?P<places>\d+))?[%a-zA-Z]?)\s*$")


def format_spec_attempt(text: str) -> tuple[str, str] | None:
    """`{pct:.1f}` in a reason: (message, hint) when `text` is a value and a Python format spec, else None."""
    match = _FORMAT_SPEC.match(text)
    if match is None or not match.group("spec"):
        return None
    value, spec = " ".join(match.group("value").split()), match.group("spec")
    places = match.group("places") or "0"
    if spec.endswith("%"):
        written = f"{{round ({value} * 100) to {places} decimal places}}%"
    else:
        written = f"{{round {value} to {places} decimal places}}"
    return (
        f"`{{{value}:{spec}}}`: a reason cannot format a value with a `:` specification",
        f"round the value itself: write `{written}`",
    )


def declaration_hint(source: SourceFile, start: int, token_start: int, token: str) -> str | None:
    """A hint for a declaration written in another order or with other signs (`scale r: a, b`), or None."""
    head = source.text[start:token_start].lstrip()
    if token == "," and head.startswith("scale"):
        return "a scale lists its grades best first, joined by `>`: `scale rating: good > poor`"
    if token == ">" and head.startswith("enum"):
        return "an enum's members are separated by `,`; a scale orders grades with `>`"
    if token == "=" and source.text[:token_start].rstrip().endswith(":") and head.startswith("define"):
        return "a definition reads `define NAME = VALUE` (or `define NAME: TYPE = VALUE`): write `=`, not `:=`"
    return None
