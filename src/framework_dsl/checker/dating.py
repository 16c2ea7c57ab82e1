"""Dated rules: `effective from D until D` on a judgement, check or clause -> `ir.InForce` + diagnostics.

- `until` before `from` is an error (`dates.until-before-from`), as it is for a framework;
- a date outside the framework's own dates (or a clause's date outside its judgement's)
  is an error (`dates.outside-framework`): the rule could never be in force on that day,
  so the date is a mistake, not a limit.
"""

from __future__ import annotations

import datetime

from framework_dsl import ir, nodes
from framework_dsl.checker.scope import Context


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
        shown = " ".join(
            part
            for part in (
                f"from {start.isoformat()}" if start is not None else "",
                f"until {until.isoformat()}" if until is not None else "",
            )
            if part
        )
        ctx.error(
            "dates.outside-framework",
            message,
            inner.span,
            f"{outer} is in force {shown}, and nothing inside it is in force outside those dates; "
            "leave the date out where the rule starts or ends with it",
        )
