"""What the language server answers, as plain functions of an `Analysis` and a position.

- diagnostics: the checker's, with their codes, ranges, hints and secondary labels;
- hover: what a name is, in the language's words, and its label or description; on the
  `clause N` of an expectation, the clause;
- definition: where a name is declared, in this file or one it imports;
- completion: keywords, names in scope, grades and members, and after a `.` the
  module's declarations, the scale's grades, the enumeration's members or the
  record's fields;
- formatting: the formatter's text, or a polite refusal when the file does not parse;
- examples: each example's pass or failure, as diagnostics (run on save).
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from framework_dsl import ir
from framework_dsl.checker.symbols import SymbolInfo
from framework_dsl.diagnostics import Diagnostic, Severity
from framework_dsl.examples import run_examples
from framework_dsl.formatter import FormatError, format_source
from framework_dsl.grammar import keywords
from framework_dsl.loader import RULE_SUFFIX, module_name
from framework_dsl.lsp.analysis import Analysis
from framework_dsl.lsp.positions import end_of, offset_of, position_of, range_of
from framework_dsl.ruleset import RuleSet
from framework_dsl.source import Span

SOURCE = "framework-dsl"
LANGUAGE_ID = "framework-dsl"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}

_COMPLETION_KIND = {
    "scale": types.CompletionItemKind.Enum,
    "enum": types.CompletionItemKind.Enum,
    "outcome": types.CompletionItemKind.EnumMember,
    "grade": types.CompletionItemKind.EnumMember,
    "member": types.CompletionItemKind.EnumMember,
    "record": types.CompletionItemKind.Struct,
    "field": types.CompletionItemKind.Field,
    "definition": types.CompletionItemKind.Variable,
    "judgement": types.CompletionItemKind.Function,
    "check": types.CompletionItemKind.Function,
    "module": types.CompletionItemKind.Module,
    "variable": types.CompletionItemKind.Variable,
}

# A module name being written: `import shared.sc`, `import rating from sh`.
_MODULE_NAME = re.compile(r"(?:^\s*import|\bfrom)\s+[A-Za-z0-9_.]*$")
# The judgement or check an example expects: `expect ov`.
_EXPECTED = re.compile(r"\bexpect\s+[A-Za-z0-9_]*$")
# After the decision an example expects: `expect overall ` (what may follow is the form).
_EXPECT_FORM = re.compile(r"\bexpect\s+([A-Za-z_][A-Za-z0-9_]*)\s+[a-z_]*$")
# A clause being numbered: `expect overall decided by clause `, `... is undetermined at clause 1`.
_CLAUSE_NUMBER = re.compile(
    r"\bexpect\s+([A-Za-z_][A-Za-z0-9_]*)\s+(?:decided\s+by|is\s+undetermined\s+at)\s+clause\s+[0-9]*$"
)
# A whole `clause N` expectation, for hover.
_CLAUSE_EXPECTATION = re.compile(
    r"\bexpect\s+([A-Za-z_][A-Za-z0-9_]*)\s+(?:decided\s+by|is\s+undetermined\s+at)\s+(clause\s+([0-9]+))"
)
# What may follow `expect NAME`, as the completion offers it (label, text inserted).
_EXPECT_FORMS = (
    ("=", "= "),
    ("because", 'because ""'),
    ("is undetermined", "is undetermined"),
    ("is not_in_force", "is not_in_force"),
    ("decided by clause", "decided by clause "),
    ("is undetermined at clause", "is undetermined at clause "),
    ("reads", "reads []"),
    ("is undetermined missing", "is undetermined missing []"),
)
# `a.b.` (and what is typed after the last dot) just before the cursor.
_MEMBER_CHAIN = re.compile(r"((?:[A-Za-z_][A-Za-z0-9_]*\.)+)([A-Za-z0-9_]*)$")


def uri_of(path: Path) -> str:
    """The file URI of a path."""
    return path.resolve().as_uri()


# ---------------------------------------------------------------- diagnostics


def to_lsp_diagnostic(diagnostic: Diagnostic, analysis: Analysis) -> types.Diagnostic:
    """One engine diagnostic as the protocol's: range, severity, code, message with its hint, labels."""
    if diagnostic.span is not None:
        where = range_of(diagnostic.span)
    else:
        where = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    message = diagnostic.message
    if diagnostic.hint:
        message += f"\nhint: {diagnostic.hint}"
    related = []
    for label in diagnostic.labels:
        path = analysis.index.file_of(label.span.source) or analysis.loaded.paths.get(label.span.source.path)
        if path is not None:
            related.append(
                types.DiagnosticRelatedInformation(
                    location=types.Location(uri=uri_of(path), range=range_of(label.span)), message=label.message
                )
            )
    return types.Diagnostic(
        range=where,
        message=message,
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        source=SOURCE,
        related_information=related or None,
        data={"hint": diagnostic.hint} if diagnostic.hint else None,
    )


def check_diagnostics(analysis: Analysis) -> list[types.Diagnostic]:
    """The checker's diagnostics for the analysed file."""
    return [to_lsp_diagnostic(d, analysis) for d in analysis.own_diagnostics()]


def example_diagnostics(analysis: Analysis) -> list[types.Diagnostic]:
    """Run the examples of the framework the file declares: a diagnostic for each expectation that fails
    (at the expectation) and a quiet hint on each example that passes.

    Nothing when the file declares no framework or the rules do not check (the check's
    diagnostics say why).
    """
    file = analysis.file
    header = file.framework if file is not None else None
    if header is None or analysis.has_errors or header.name.text not in analysis.frameworks:
        return []
    rule_set = RuleSet(frameworks=analysis.frameworks, digest=analysis.loaded.digest)
    report = run_examples(rule_set, [header.name.text])
    found: list[types.Diagnostic] = []
    for outcome in report.outcomes:
        if outcome.span is None:
            continue
        source, start = outcome.span.source, outcome.span.start
        line_end = source.text.find("\n", start)
        title_line = types.Range(
            start=position_of(source, start), end=position_of(source, len(source.text) if line_end < 0 else line_end)
        )
        if outcome.passed:
            found.append(
                types.Diagnostic(
                    range=title_line,
                    message=f"example passed: {outcome.title}",
                    severity=types.DiagnosticSeverity.Hint,
                    code="editor.example-passed",
                    source=SOURCE,
                )
            )
            continue
        for failure in outcome.failures:
            message = f"example “{outcome.title}” fails: expected {failure.expectation}"
            message += f"\nexpected: {failure.expected}\nactual:   {failure.actual}"
            if failure.reason:
                message += f"\nreason:   {failure.reason}"
            found.append(
                types.Diagnostic(
                    range=range_of(failure.span) if failure.span is not None else title_line,
                    message=message,
                    severity=types.DiagnosticSeverity.Error,
                    code="editor.example-failed",
                    source=SOURCE,
                )
            )
    return found


# ---------------------------------------------------------------- hover and definition


def hover(analysis: Analysis, position: types.Position) -> types.Hover | None:
    """What the name under the cursor is: its kind and type in one line, then its label or description.

    On the `clause N` of an expectation: that clause as written, and where.
    """
    offset = offset_of(analysis.text, position)
    found = analysis.index.at(analysis.path, offset)
    if found is None:
        return _clause_hover(analysis, offset)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=_markdown(found.symbol)),
        range=range_of(found.span),
    )


def _clause_hover(analysis: Analysis, offset: int) -> types.Hover | None:
    """The clause a `decided by clause N` or `is undetermined at clause N` under the cursor names."""
    text = analysis.text
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    for match in _CLAUSE_EXPECTATION.finditer(line):
        start, end = line_start + match.start(2), line_start + match.end(2)
        if not start <= offset <= end:
            continue
        clauses = _clauses_of(analysis, match.group(1))
        number = int(match.group(3))
        if not 1 <= number <= len(clauses):
            return None
        clause = clauses[number - 1]
        written = clause.span.source.text[clause.span.start : clause.span.end]
        shown = "\n".join(written.splitlines()[:4])
        value = f"```{LANGUAGE_ID}\n{shown}\n```\n\nclause {number} of `{match.group(1)}`, {clause.location}"
        file = analysis.file
        where = range_of(Span(file.source, start, end)) if file is not None else None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value), range=where)
    return None


def _clauses_of(analysis: Analysis, name: str) -> tuple[ir.Clause, ...]:
    """The clauses of the decision `name` as this file's examples see it (its own framework's first)."""
    file = analysis.file
    own = file.source.path if file is not None else None
    frameworks = sorted(analysis.frameworks.values(), key=lambda f: f.path != own)
    for framework in frameworks:
        decision = framework.decision(name)
        if decision is not None:
            return decision.clauses
    return ()


def _markdown(symbol: SymbolInfo) -> str:
    text = f"```{LANGUAGE_ID}\n{symbol.detail}\n```"
    if symbol.doc:
        text += f"\n\n{symbol.doc}"
    return text


def definition(analysis: Analysis, position: types.Position) -> types.Location | None:
    """Where the name under the cursor is declared (a module: the top of its file)."""
    offset = offset_of(analysis.text, position)
    found = analysis.index.at(analysis.path, offset)
    if found is None:
        return None
    symbol = found.symbol
    if symbol.span is not None and symbol.file is not None:
        return types.Location(uri=uri_of(symbol.file), range=range_of(symbol.span))
    if symbol.kind == "module" and symbol.file is not None:
        top = types.Position(line=0, character=0)
        return types.Location(uri=uri_of(symbol.file), range=types.Range(start=top, end=top))
    return None


# ---------------------------------------------------------------- completion


def completion(analysis: Analysis, text: str, position: types.Position) -> types.CompletionList:
    """What may be written at the cursor.

    After `import` or `from`: the modules under the rules root. After `expect`: the
    judgements and checks (and `status`); after `expect NAME `, the forms of expectation;
    after `decided by clause ` or `is undetermined at clause `, that decision's clauses.
    After `a.b.`: what `a.b` holds (from
    `analysis`, which may be an earlier version of the text that still parsed: a
    half-written `inspection.` does not). Elsewhere: the keywords, every name in
    scope, and every grade and member in sight.
    """
    offset = offset_of(text, position)
    line_start = text.rfind("\n", 0, offset) + 1
    before = text[line_start:offset]
    if _MODULE_NAME.search(before):
        modules = sorted(
            module_name(found, analysis.root)
            for found in analysis.root.rglob("*" + RULE_SUFFIX)
            if found.resolve() != analysis.path
        )
        items = [types.CompletionItem(label=m, kind=types.CompletionItemKind.Module) for m in modules]
        return types.CompletionList(is_incomplete=False, items=items)
    numbered = _CLAUSE_NUMBER.search(before)
    if numbered is not None:
        items = [
            types.CompletionItem(
                label=str(index + 1),
                kind=types.CompletionItemKind.Value,
                detail=clause.span.source.text[clause.span.start : clause.span.end].splitlines()[0].strip(),
                documentation=clause.location,
                sort_text=f"{index:04d}",
            )
            for index, clause in enumerate(_clauses_of(analysis, numbered.group(1)))
        ]
        return types.CompletionList(is_incomplete=False, items=items)
    form = _EXPECT_FORM.search(before)
    if form is not None and form.group(1) != "status":
        items = [
            types.CompletionItem(label=label, kind=types.CompletionItemKind.Keyword, insert_text=inserted)
            for label, inserted in _EXPECT_FORMS
        ]
        return types.CompletionList(is_incomplete=False, items=items)
    if _EXPECTED.search(before):
        decisions = [s for s in analysis.index.visible(analysis.path) if s.kind in ("judgement", "check")]
        items = [_item(s) for s in decisions]
        items.append(types.CompletionItem(label="status", kind=types.CompletionItemKind.Keyword))
        return types.CompletionList(is_incomplete=False, items=items)
    chain = _MEMBER_CHAIN.search(before)
    if chain is not None:
        names = chain.group(1).rstrip(".").split(".")
        items = [_item(s) for s in analysis.index.members(analysis.path, names, offset)]
        return types.CompletionList(is_incomplete=False, items=items)
    items = [_item(s) for s in analysis.index.visible(analysis.path)]
    items.extend(
        types.CompletionItem(label=word, kind=types.CompletionItemKind.Keyword, sort_text=f"~{word}")
        for word in keywords()
    )
    return types.CompletionList(is_incomplete=False, items=items)


def _item(symbol: SymbolInfo) -> types.CompletionItem:
    return types.CompletionItem(
        label=symbol.name,
        kind=_COMPLETION_KIND.get(symbol.kind, types.CompletionItemKind.Text),
        detail=symbol.detail,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=symbol.doc) if symbol.doc else None,
    )


# ---------------------------------------------------------------- formatting


def formatting(text: str, path: Path) -> tuple[list[types.TextEdit] | None, str | None]:
    """The edits that make `text` canonical, or None and why not (a syntax error, or a formatter bug)."""
    try:
        output, problems = format_source(text, str(path))
    except FormatError as error:
        return None, f"framework-dsl did not format {path.name}: {error} (please report this)"
    if output is None:
        first = problems[0] if problems else None
        where = f" at line {first.span.line}" if first is not None and first.span is not None else ""
        why = f": {first.message}" if first is not None else ""
        return None, f"{path.name} has a syntax error{where}{why}; fix it, then format again"
    if output == text:
        return [], None
    whole = types.Range(start=types.Position(line=0, character=0), end=end_of(text))
    return [types.TextEdit(range=whole, new_text=output)], None
