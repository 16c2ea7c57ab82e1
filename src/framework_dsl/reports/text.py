"""Results as plain text: what a policy officer reads on a terminal.

One block per evidence document, each judgement with its grade label, the reason, the
citation and the clause that decided it; undetermined outcomes say which evidence is
missing. Every line goes through `printable`, so text from evidence (a subject, a value
quoted in a reason, a problem's "found") cannot move the cursor, clear the screen or
retitle the window.
"""

from __future__ import annotations

import attrs

from framework_dsl.diagnostics import Diagnostic, render_text
from framework_dsl.reports.terminal import printable, printable_lines
from framework_dsl.result import Decision, Result
from framework_dsl.values import display_value


def _outcome_text(decision: Decision) -> str:
    if decision.status == "undetermined":
        return "undetermined"
    if decision.status == "error":
        return "could not be evaluated"
    if decision.status == "not_in_force":
        return "not in force"
    label = decision.label
    if isinstance(label, list):
        return ", ".join(label) if label else "none"
    if label is not None:
        return str(label)
    return display_value(decision.value)


def _decision_lines(decision: Decision, indent: str, explain: bool) -> list[str]:
    lines: list[str] = []
    if decision.status == "decided":
        reasons = decision.reason if isinstance(decision.reason, list) else [decision.reason]
        cites = decision.cite if isinstance(decision.cite, list) else [decision.cite]
        rules = decision.rule if isinstance(decision.rule, list) else [decision.rule]
        for reason, cite, rule in zip(reasons, cites, rules, strict=False):
            if reason:
                lines.append(f"{indent}because: {reason}")
            if cite:
                lines.append(f"{indent}source:  {cite}")
            if rule:
                lines.append(f"{indent}rule:    {rule}")
    elif decision.status == "undetermined":
        lines.append(f"{indent}evidence missing: {', '.join(decision.missing) or '(none named)'}")
        lines.append(f"{indent}rule:    {decision.rule}")
    elif decision.status == "not_in_force":
        lines.append(f"{indent}note:    {decision.reason}")
        lines.append(f"{indent}rule:    {decision.rule}")
    else:
        lines.append(f"{indent}error:   {decision.error}")
        lines.append(f"{indent}rule:    {decision.rule}")
    if explain and decision.trace:
        lines.append(f"{indent}trace:")
        for step in decision.trace:
            outcome = f" -> {step.outcome}" if step.outcome is not None else ""
            if step.condition == "not_in_force":
                lines.append(f"{indent}  {step.location}: skipped, not in force on this date")
                continue
            if step.condition.startswith("let "):  # a local value, computed once
                lines.append(f"{indent}  {step.location}: {step.condition} = {step.outcome}")
            else:
                lines.append(f"{indent}  {step.location}: condition {step.condition}{outcome}")
            for expression, value in step.steps:
                lines.append(f"{indent}    {expression} = {value}")
            for pointer, value in step.reads:
                lines.append(f"{indent}    read {pointer} = {display_value(value)}")
            if step.missing:
                lines.append(f"{indent}    missing {', '.join(step.missing)}")
    return lines


def as_of_text(result: Result) -> str:
    """The evaluation date, saying so when it is only the day the tool ran."""
    if result.as_of is None:
        return "-"
    if result.as_of_from == "clock":
        return f"{result.as_of.isoformat()} (today: neither the evidence nor --as-of gives a date)"
    return result.as_of.isoformat()


def render_result_text(result: Result, *, explain: bool = False) -> str:
    """One evidence document's result as a plain-text block."""
    title = result.framework_title or "(no framework)"
    head = f"{result.framework} — {title}" if result.framework else title
    lines = [head, f"  evidence: {result.source or '<evidence>'}"]
    if isinstance(result.subject, dict) and result.subject:
        subject = ", ".join(f"{k}: {display_value(v)}" for k, v in result.subject.items())
        lines.append(f"  subject:  {subject}")
    lines.append(f"  as of:    {as_of_text(result)}")
    status = {
        "evaluated": "evaluated",
        "invalid_evidence": f"invalid evidence ({len(result.problems)} problem(s), listed on standard error)",
        "not_in_force": "not in force",
    }[result.status]
    lines.append(f"  status:   {status}")
    if result.note:
        lines.append(f"            {result.note}")
    for heading, group in (("judgements", result.judgements), ("checks", result.checks)):
        if not group:
            continue
        lines.append("")
        lines.append(f"  {heading}:")
        for name, value in group.items():
            if isinstance(value, tuple):
                lines.append(f"    {name} ({len(value)} item{'s' if len(value) != 1 else ''})")
                for decision in value:
                    lines.append(f"      {decision.item or '-'}: {_outcome_text(decision)}")
                    lines.extend(_decision_lines(decision, "        ", explain))
            else:
                lines.append(f"    {name}: {_outcome_text(value)}")
                lines.extend(_decision_lines(value, "      ", explain))
    return "\n".join(printable(line) for line in lines) + "\n"


def render_problems_text(result: Result) -> str:
    """The evidence problems of an invalid result, as diagnostics (for standard error)."""
    return "\n\n".join(render_problem_text(p) for p in result.problems) + "\n"


def render_problem_text(problem: Diagnostic) -> str:
    """One evidence problem as a diagnostic, control characters from the evidence escaped."""
    return printable_lines(render_text(_printable_problem(problem)))


def _printable_problem(problem: Diagnostic) -> Diagnostic:
    """The problem with control characters escaped in each part, so none can add a line of its own."""
    return attrs.evolve(
        problem,
        message=printable(problem.message),
        document=None if problem.document is None else printable(problem.document),
        pointer=None if problem.pointer is None else printable(problem.pointer),
        hint=None if problem.hint is None else printable(problem.hint),
        expected=None if problem.expected is None else printable(problem.expected),
        found=None if problem.found is None else printable(problem.found),
    )
