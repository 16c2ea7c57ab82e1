"""Renderings of results for people: plain text, Markdown and HTML.

Text is what a policy officer reads on a terminal: one block per evidence document,
each judgement with its grade label, the reason, the citation and the clause that
decided it; undetermined outcomes say which evidence is missing. JSON output is not
here: it is `Result.to_json()`.
"""

from __future__ import annotations

import html
from typing import Any

from framework_dsl.diagnostics import render_text
from framework_dsl.result import Decision, Result
from framework_dsl.values import display_value


def _outcome_text(decision: Decision) -> str:
    if decision.status == "undetermined":
        return "undetermined"
    if decision.status == "error":
        return "could not be evaluated"
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
    else:
        lines.append(f"{indent}error:   {decision.error}")
        lines.append(f"{indent}rule:    {decision.rule}")
    if explain and decision.trace:
        lines.append(f"{indent}trace:")
        for step in decision.trace:
            outcome = f" -> {step.outcome}" if step.outcome is not None else ""
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
    return "\n".join(lines) + "\n"


def render_problems_text(result: Result) -> str:
    """The evidence problems of an invalid result, as diagnostics."""
    return "\n\n".join(render_text(p) for p in result.problems) + "\n"


def render_results_markdown(results: list[Result]) -> str:
    """Results as a Markdown report: a section and a table per document."""
    out: list[str] = []
    for result in results:
        out.append(f"## {result.source or 'evidence'}: {result.framework_title or result.framework or ''}")
        out.append("")
        out.append(f"- status: **{result.status.replace('_', ' ')}**")
        out.append(f"- as of: {as_of_text(result)}")
        if result.note:
            out.append(f"- {result.note}")
        for problem in result.problems:
            out.append(f"- problem at `{problem.pointer or '/'}`: {problem.message}")
        rows = _rows(result)
        if rows:
            out.append("")
            out.append("| decision | item | outcome | reason | source | rule |")
            out.append("|---|---|---|---|---|---|")
            for row in rows:
                out.append("| " + " | ".join(_md(cell) for cell in row) + " |")
        out.append("")
    return "\n".join(out)


def render_results_html(results: list[Result]) -> str:
    """Results as a standalone HTML page."""
    body: list[str] = []
    for result in results:
        body.append(
            f"<section><h2>{html.escape(result.source or 'evidence')}: "
            f"{html.escape(result.framework_title or result.framework or '')}</h2>"
        )
        body.append(
            f"<p>status: <strong>{html.escape(result.status.replace('_', ' '))}</strong>; as of "
            f"{html.escape(as_of_text(result))}</p>"
        )
        if result.note:
            body.append(f"<p>{html.escape(result.note)}</p>")
        if result.problems:
            body.append("<ul>")
            for problem in result.problems:
                body.append(
                    f"<li><code>{html.escape(problem.pointer or '/')}</code>: {html.escape(problem.message)}</li>"
                )
            body.append("</ul>")
        rows = _rows(result)
        if rows:
            body.append(
                "<table><thead><tr><th>decision</th><th>item</th><th>outcome</th><th>reason</th>"
                "<th>source</th><th>rule</th></tr></thead><tbody>"
            )
            for row in rows:
                body.append("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>")
            body.append("</tbody></table>")
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>framework-check report</title>'
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}</style>"
        "</head><body><h1>framework-check report</h1>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _rows(result: Result) -> list[list[str]]:
    rows = []
    for name, decision in result.all_decisions():
        reason: Any = decision.reason
        if decision.status == "undetermined":
            reason = "evidence missing: " + ", ".join(decision.missing)
        elif decision.status == "error":
            reason = decision.error
        rows.append(
            [
                name,
                decision.item or "",
                _outcome_text(decision),
                "; ".join(reason) if isinstance(reason, list) else (reason or ""),
                "; ".join(c for c in decision.cite if c) if isinstance(decision.cite, list) else (decision.cite or ""),
                "; ".join(decision.rule) if isinstance(decision.rule, list) else (decision.rule or ""),
            ]
        )
    return rows


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")
