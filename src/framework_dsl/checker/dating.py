"""Dated rules: `effective from D until D` on a judgement, check or clause -> `ir.InForce` + diagnostics.

- `until` before `from` is an error (`dates.until-before-from`), as it is for a framework;
- a date outside the framework's own dates (or a clause's date outside its judgement's)
  is an error (`dates.outside-framework`): the rule could never be in force on that day,
  so the date is a mistake, not a limit;
- a decision using a dated one on days that one is not in force is an error
  (`dates.uses-out-of-force`): on those days it could not be evaluated.
"""

from __future__ import annotations

import datetime

from framework_dsl import ir, nodes
from framework_dsl.checker.scope import Context
from framework_dsl.diagnostics import Label


def in_force(ctx: Context, node: nodes.InForce | None, what: str) -> ir.InForce | None:
    """The checked dates of `what` (a judgement's or clause's description), or None when undated."""
    if node is None:
        return None
    span = node.span
    if node.start is not None and node.until is not None and node.until < node.start:
        ctx.error(
            "dates.until-before-from",
            f"{what} stops being in force ({node.until.isoformat()}) before it starts ({node.start.isoformat()})",
            span,
            "both dates are included: `effective from 2015-04-01 until 2023-11-20`; check their order",
        )
    return ir.InForce(
        start=node.start,
        until=node.until,
        note=node.note.value if node.note is not None else None,
        location=f"{span.source.path}:{span.line}" if span is not None else "",
        span=span,
    )


def check_inside(
    ctx: Context,
    inner: ir.InForce | None,
    start: datetime.date | None,
    until: datetime.date | None,
    what: str,
    outer: str,
) -> None:
    """Report each date of `inner` that lies outside `start`..`until` (the framework's or judgement's dates)."""
    if inner is None:
        return
    for label, date in (("from", inner.start), ("until", inner.until)):
        if date is None:
            continue
        if start is not None and date < start:
            message = f"{what} is dated {label} {date.isoformat()}, before {outer} starts"
        elif until is not None and date > until:
            message = f"{what} is dated {label} {date.isoformat()}, after {outer} ends"
        else:
            continue
        shown = ir.period_text(start, until)
        ctx.error(
            "dates.outside-framework",
            message,
            inner.span,
            f"{outer} is in force {shown}, and nothing inside it is in force outside those dates; "
            "leave the date out where the rule starts or ends with it",
        )


def check_uses(
    ctx: Context,
    decisions: tuple[ir.Judgement, ...],
    start: datetime.date | None,
    until: datetime.date | None,
) -> None:
    """A decision may use a dated judgement or check only while that one is in force.

    Outside its dates a decision is not made, so a decision using it (directly, or
    through definitions) would fail on those dates: `dates.uses-out-of-force`, naming
    both and the dates where they part.
    """
    by_key = {d.key: d for d in decisions}
    for decision in decisions:
        own = decision.in_force
        mine = (own.start or start, own.until or until) if own is not None else (start, until)
        for key in _used_decisions(ctx, decision.key, by_key):
            used = by_key[key].in_force
            if used is None:
                continue
            starts_later = used.start is not None and (mine[0] is None or mine[0] < used.start)
            ends_sooner = used.until is not None and (mine[1] is None or mine[1] > used.until)
            if not (starts_later or ends_sooner):
                continue
            name = by_key[key].name
            ctx.error(
                "dates.uses-out-of-force",
                f"`{decision.name}` uses `{name}`, which is in force only {used.period()}, "
                f"but `{decision.name}` is in force {ir.period_text(*mine) or 'whenever the framework is'}",
                decision.span,
                f"date `{decision.name}` within `{name}`'s dates (the same `effective` line), or stop using it",
                labels=(Label(used.span, f"`{name}` is dated here"),) if used.span is not None else (),
            )


def _used_decisions(ctx: Context, key: str, decisions: dict[str, ir.Judgement]) -> set[str]:
    """The decisions `key` uses, directly or through the definitions it uses (not through other decisions)."""
    found: set[str] = set()
    seen: set[str] = set()
    todo = list(ctx.dependencies.get(key, ()))
    while todo:
        target = todo.pop()
        if target in seen:
            continue
        seen.add(target)
        if target in decisions:
            if target != key:
                found.add(target)
        else:
            todo.extend(ctx.dependencies.get(target, ()))
    return found
