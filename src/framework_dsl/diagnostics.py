"""Diagnostics: one type for every problem any stage finds, and its renderings.

Every stage returns its diagnostics instead of raising. A diagnostic points either at
rule text (`span`) or at evidence (`pointer`, a JSON pointer in the file `document`).
`render_text` prints the rustc-style block a policy officer reads, `render_gnu` one
line per problem for editors and CI annotations, `to_json` the machine form. Codes
are stable and documented in `docs/diagnostics.md`; `CODES` is the registry.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from framework_dsl.source import Span


class Severity(enum.Enum):
    """How bad a diagnostic is: errors stop the rules loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# code -> one-line title. docs/diagnostics.md explains each with a bad example, and
# tests/cases/ holds one case file per code.
CODES: dict[str, str] = {
    "syntax.unexpected-token": "a word or symbol that cannot stand here",
    "syntax.unexpected-character": "a character the language does not use",
    "syntax.unexpected-end": "the file ends in the middle of a declaration",
    "syntax.invalid-literal": "a date, number or quoted text that is malformed",
    "syntax.too-deep": "an expression nested more deeply than the language allows",
    "syntax.percent-sign": "a number written with `%`: percentages are plain numbers",
    "syntax.chained-comparison": "comparisons chained as in `63 <= pct <= 87`",
    "syntax.foreign-operator": "an operator or word from another language (`==`, `&&`, `!`, `contains`, `else`)",
    "syntax.is-not": "`is not empty`, `is not missing` or `is not VALUE`, which are not tests",
    "syntax.format-spec": "a value in a reason formatted as in Python (`{pct:.1f}`)",
    "syntax.call-form": "an aggregate or rounding written as a call (`sum(x)`) or without its `of` or places",
    "modules.not-found": "an import names a file that does not exist",
    "modules.outside-root": "an import or example file leaves the rules root",
    "modules.import-cycle": "files import each other in a circle",
    "modules.not-allowed": "a declaration that belongs in a framework file sits in a shared module",
    "modules.duplicate-framework": "two files declare the same framework",
    "modules.unreadable": "a rule file cannot be read as UTF-8 text",
    "framework.missing-header": "a framework file lacks its `framework` line or a part of it",
    "framework.invalid-dates": "a framework stops being in force before it starts",
    "dates.until-before-from": "a dated judgement, check or clause stops being in force before it starts",
    "dates.outside-framework": "a rule dated outside its framework's (or its judgement's) own dates",
    "dates.uses-out-of-force": "a judgement or check that uses a dated one on days that one is not in force",
    "provisions.invalid": "a statutory provision in the rules not written as the regulations write one",
    "names.unknown": "a name that is not declared",
    "names.duplicate": "a name declared twice",
    "names.keyword": "a keyword declared as a name, which could never be used",
    "names.ambiguous": "a name with more than one meaning here",
    "names.shadowed": "a local value (`let`) that takes a name already in use",
    "names.cycle": "judgements or definitions that depend on each other in a circle",
    "names.too-deep": "judgements or definitions chained, each using the next, beyond the depth allowed",
    "types.mismatch": "an expression of the wrong type",
    "types.too-deep": "evidence records nested more deeply than evidence can be",
    "types.empty-range": "a ranged number type that no number fits: `integer from 4 to 1`",
    "outcomes.unknown": "an outcome that is not a grade or outcome of the judgement's type",
    "judgement.not-exhaustive": "a judgement with no `otherwise` that can fall through",
    "judgement.unreachable-clause": "a clause that can never be chosen",
    "properties.cannot-move": "a `monotonic` declaration whose judgement or input cannot move the way it says",
    "tables.incomplete": "a constant table without a row for every member of its key type",
    "tables.duplicate-key": "a constant table with two rows for one key",
    "tables.not-constant": "a row of a constant table that is not a constant",
    "examples.invalid": "an example whose evidence or expectation cannot be used",
    "evidence.invalid-json": "an evidence file that is not valid JSON",
    "evidence.unreadable": "an evidence file that cannot be read",
    "evidence.not-an-object": "an evidence document that is not a JSON object",
    "evidence.unknown-framework": "evidence for a framework the rules do not define",
    "evidence.missing-field": "a required evidence field is absent",
    "evidence.unknown-field": "an evidence field the framework does not define",
    "evidence.wrong-type": "an evidence value of the wrong JSON type",
    "evidence.unknown-value": "a value that is not one of the allowed grades or members",
    "evidence.invalid-date": "a date that is not a real YYYY-MM-DD date",
    "evidence.invalid-provision": "a statutory provision not written as the regulations write one, e.g. 16(3)(b)",
    "evidence.out-of-range": "a number outside the range its field declares",
    "evidence.duplicate-item": "a set that lists the same member twice",
    "evidence.too-large": "evidence beyond a configured size, depth or length limit",
    "eval.division-by-zero": "a clause divided by zero",
}


@attrs.frozen
class Label:
    """A secondary location: "defined here", "first declared here"."""

    span: Span
    message: str


@attrs.frozen(kw_only=True)
class Diagnostic:
    """One problem, located in rule text (`span`) or in evidence (`pointer`)."""

    code: str
    message: str
    severity: Severity = Severity.ERROR
    span: Span | None = None
    document: str | None = None
    pointer: str | None = None
    labels: tuple[Label, ...] = ()
    hint: str | None = None
    expected: str | None = None
    found: str | None = None

    @property
    def file(self) -> str:
        """The file the problem is in, or "" when it has no location."""
        if self.span is not None:
            return self.span.source.path
        return self.document or ""

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: file, position, code, message."""
        if self.span is not None:
            line, column = self.span.source.line_col(self.span.start)
            return (self.file, line, column, "", self.code, self.message)
        return (self.file, 0, 0, self.pointer or "", self.code, self.message)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted and de-duplicated, so output never depends on discovery order."""
    seen: set[tuple[Any, ...]] = set()
    result = []
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        key = (*diagnostic.sort_key(), diagnostic.hint)
        if key not in seen:
            seen.add(key)
            result.append(diagnostic)
    return result


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an error."""
    return any(d.severity is Severity.ERROR for d in diagnostics)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """`did you mean `x`?` for the closest candidate, or None when none is close."""
    import difflib  # only when something is misspelt: not at start-up

    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


# ---------------------------------------------------------------- renderings


def render_text(diagnostic: Diagnostic) -> str:
    """The rustc-style block: code, message, location, excerpt, caret, hint."""
    lines = [f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}"]
    if diagnostic.span is not None:
        lines.extend(_excerpt_lines(diagnostic.span, None, primary=True))
        for label in diagnostic.labels:
            lines.extend(_excerpt_lines(label.span, label.message, primary=False))
    elif diagnostic.document is not None or diagnostic.pointer is not None:
        where = diagnostic.document or "<evidence>"
        if diagnostic.pointer is not None:
            where += f" at {diagnostic.pointer or '/'}"
        lines.append(f"  --> {where}")
        if diagnostic.expected is not None:
            lines.append(f"   = expected: {diagnostic.expected}")
        if diagnostic.found is not None:
            lines.append(f"   = found: {diagnostic.found}")
    if diagnostic.hint:
        lines.append(f"   = hint: {diagnostic.hint}")
    return "\n".join(lines)


def _excerpt_lines(span: Span, message: str | None, *, primary: bool) -> list[str]:
    line, text, caret, width = span.excerpt()
    gutter = " " * len(str(line))
    marker = "^" if primary else "-"
    underline = " " * caret + marker * width + (f" {message}" if message else "")
    return [
        f"{gutter}--> {span.location}",
        f"{gutter} |",
        f"{line} | {text}",
        f"{gutter} | {underline}".rstrip(),
    ]


def render_all_text(diagnostics: Sequence[Diagnostic]) -> str:
    """Every diagnostic as text, blank-line separated, with a closing count."""
    blocks = [render_text(d) for d in diagnostics]
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    notes = sum(1 for d in diagnostics if d.severity is Severity.INFO)
    summary = f"{errors} error{'s' if errors != 1 else ''}"
    if warnings:
        summary += f", {warnings} warning{'s' if warnings != 1 else ''}"
    if notes:
        summary += f", {notes} note{'s' if notes != 1 else ''}"
    return "\n\n".join([*blocks, summary]) + "\n"


def render_gnu(diagnostic: Diagnostic) -> str:
    """`file:line:col: severity[code]: message` — one line, for editors and CI."""
    if diagnostic.span is not None:
        where = diagnostic.span.location
    elif diagnostic.pointer is not None:
        where = f"{diagnostic.document or '<evidence>'}:{diagnostic.pointer or '/'}"
    else:
        where = diagnostic.document or "<unknown>"
    text = f"{where}: {diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}"
    if diagnostic.hint:
        text += f" ({diagnostic.hint})"
    return text


def to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """The machine form: code, severity, message, location, and evidence details."""
    data: dict[str, Any] = {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
    }
    if diagnostic.span is not None:
        line, column = diagnostic.span.source.line_col(diagnostic.span.start)
        end_line, end_column = diagnostic.span.source.line_col(diagnostic.span.end)
        data["location"] = {
            "file": diagnostic.span.source.path,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
        }
    if diagnostic.document is not None:
        data["document"] = diagnostic.document
    if diagnostic.pointer is not None:
        data["path"] = diagnostic.pointer
    if diagnostic.expected is not None:
        data["expected"] = diagnostic.expected
    if diagnostic.found is not None:
        data["found"] = diagnostic.found
    if diagnostic.hint is not None:
        data["hint"] = diagnostic.hint
    if diagnostic.labels:
        data["labels"] = [{"message": label.message, "location": label.span.location} for label in diagnostic.labels]
    return data
