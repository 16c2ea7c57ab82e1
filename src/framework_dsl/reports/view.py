"""One result prepared for a report: titles, outcomes with their tone, reasons, problems.

`document_view(result, guide, number)` turns a `Result` into a `DocumentView`, the plain
data that the HTML and Markdown templates lay out: who and when, the headline, the
judgements made once, those made item by item, the checks, the outcomes that could not
be decided and every problem. Templates only arrange it; every decision about what to
say is made here, once, for both formats.

A *tone* says how an outcome looks: `grade-1` (best) to `grade-5` (worst) for a grade,
by its place on its scale; `passed` and `failed` for a check; `neutral` for any other
outcome; `undetermined` and `error` for outcomes that were not decided.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from framework_dsl.reports.guide import FrameworkGuide, words
from framework_dsl.result import ClauseTrace, Decision, Result
from framework_dsl.typesystem import Symbol
from framework_dsl.values import display_value

if TYPE_CHECKING:
    from framework_dsl.whatif import Suggestion, WhatIf

STATUS_TEXT = {
    "evaluated": "Evaluated",
    "invalid_evidence": "Invalid evidence",
    "not_in_force": "Not in force",
}

# Grade tones by the number of grades on the scale: which of the five tones each rank takes.
_TONE_STEPS = {1: (1,), 2: (1, 5), 3: (1, 3, 5), 4: (1, 2, 4, 5), 5: (1, 2, 3, 4, 5)}


@attrs.frozen(kw_only=True)
class Because:
    """One deciding clause: its reason, its source and where it is written."""

    reason: str | None
    source: str | None
    rule: str | None


@attrs.frozen(kw_only=True)
class ChangeView:
    """What would move a judgement to one target, in short: the smallest single change, and the nearest number.

    Each change is a sequence of (JSON pointer, what happens there) pairs, the values
    shown by their labels: ("/key_questions/safe/rating", "Requires improvement → Good").
    """

    target: str  # the target outcome's label
    change: tuple[tuple[str, str], ...] | None  # the smallest change; None when no single change reaches it
    more: int  # how many other single changes reach it
    near_miss: tuple[tuple[str, str], ...] | None  # the smallest change of a number alone, when it is not `change`


@attrs.frozen(kw_only=True)
class OutcomeView:
    """One decision (one item's, for a for-each judgement) as a report shows it."""

    name: str  # the decision's identifier, as in the JSON
    anchor: str  # the id its part of the report is linked by: "doc-1-safe", "doc-1-criminal_route-2"
    title: str  # its readable title
    item: str | None  # the item's JSON pointer, for a for-each judgement
    item_label: str | None  # the item as people read it (a member's label, else the pointer)
    status: str  # "decided" | "undetermined" | "error" | "not_in_force"
    text: str  # the outcome's label(s), "Undetermined", "Could not be evaluated", "Not in force"
    tone: str
    order: int | None  # the outcome's rank on its scale or in its enumeration, when it is one
    because: tuple[Because, ...]
    inputs: tuple[tuple[str, str], ...]  # (JSON pointer, value as shown) read on the way
    missing: tuple[str, ...]
    error: str | None
    rule: str | None  # the clause that could not be decided (undetermined, error)
    trace: tuple[ClauseTrace, ...]
    changes: tuple[ChangeView, ...] = ()  # what would change it, one step up and down (a report of one document)

    @property
    def heading(self) -> str:
        """The title, with the item for a for-each judgement: "Criminal route: /breaches/0"."""
        return f"{self.title}: {self.item_label}" if self.item_label else self.title


@attrs.frozen(kw_only=True)
class GroupView:
    """A decision made for each item: its title and one outcome per item."""

    name: str
    title: str
    outcomes: tuple[OutcomeView, ...]


@attrs.frozen(kw_only=True)
class ProblemView:
    """One evidence problem: where (JSON pointer), what, expected, found, and a hint."""

    pointer: str
    code: str
    message: str
    expected: str | None
    found: str | None
    hint: str | None


@attrs.frozen(kw_only=True)
class DocumentView:
    """One evidence document's result, ready for a template."""

    number: int  # 1-based position in the report
    anchor: str  # the id its section is linked by: "doc-1"
    source: str
    name: str  # what the document is about, from its subject (else its source)
    framework: str | None
    framework_title: str | None
    subject: tuple[tuple[str, str], ...]  # (field in words, value)
    as_of: str | None  # ISO date
    as_of_words: str  # "1 March 2019", or "-"
    as_of_note: str | None  # says when the date is only the day the tool ran
    rules_digest: str
    status: str
    status_text: str
    note: str | None
    leading: tuple[OutcomeView, ...]
    grid: tuple[OutcomeView, ...]
    in_brief: tuple[OutcomeView, ...]  # the headline outcomes a contents line shows (FrameworkGuide.counted)
    judgements: tuple[OutcomeView, ...]  # made once
    per_item: tuple[GroupView, ...]  # made for each item
    checks: tuple[OutcomeView, ...]  # made once
    per_item_checks: tuple[GroupView, ...]
    undecided: tuple[OutcomeView, ...]  # every outcome undetermined or in error
    problems: tuple[ProblemView, ...]
    explain: bool

    @property
    def needs_attention(self) -> bool:
        """Whether the document is invalid, not in force, or has an outcome not decided."""
        return self.status != "evaluated" or bool(self.undecided)

    @property
    def summary(self) -> str:
        """The status in a few words: "Evaluated, 2 outcomes undetermined", "Invalid evidence: 3 problems"."""
        if self.status == "invalid_evidence":
            return f"{self.status_text}: {_count(len(self.problems), 'problem')}"
        if self.undecided:
            undetermined = sum(1 for o in self.undecided if o.status == "undetermined")
            failed = len(self.undecided) - undetermined
            parts = [f"{_count(undetermined, 'outcome')} undetermined"] if undetermined else []
            parts += [f"{_count(failed, 'outcome')} could not be evaluated"] if failed else []
            return f"{self.status_text}, {', '.join(parts)}"
        return self.status_text


def document_view(
    result: Result,
    guide: FrameworkGuide | None,
    number: int,
    *,
    explain: bool = False,
    changes: Mapping[str, WhatIf] | None = None,
) -> DocumentView:
    """Prepare `result`, the `number`-th document of a report, for a template.

    `changes` (from `whatif.what_would_change`) adds to each judgement it names what
    would move it one step up and down.
    """
    anchor = f"doc-{number}"
    judgements = _outcomes(result.judgements, guide, anchor)
    for name, answer in (changes or {}).items():
        views = judgements.get(name)
        if views is not None and len(views) == 1 and not isinstance(result.judgements.get(name), tuple):
            judgements[name] = (attrs.evolve(views[0], changes=change_views(answer, guide)),)
    checks = _outcomes(result.checks, guide, anchor, check=True)
    every = [o for group in (judgements, checks) for outcomes in group.values() for o in outcomes]
    leading: list[OutcomeView] = []
    grid: list[OutcomeView] = []
    if guide is not None:
        for names, into in ((guide.leading, leading), (guide.grid, grid)):
            for name in names:
                into.extend(judgements.get(name, ()))
    subject = _subject(result.subject)
    return DocumentView(
        number=number,
        anchor=anchor,
        source=result.source or "<evidence>",
        name=" — ".join(value for _, value in reversed(subject[:2])) if subject else (result.source or "evidence"),
        framework=result.framework,
        framework_title=result.framework_title,
        subject=subject,
        as_of=result.as_of.isoformat() if result.as_of else None,
        as_of_words=_date_words(result.as_of),
        as_of_note=(
            "today's date: neither the evidence nor --as-of gives one" if result.as_of_from == "clock" else None
        ),
        rules_digest=result.rules_digest,
        status=result.status,
        status_text=STATUS_TEXT.get(result.status, words(result.status)),
        note=result.note,
        leading=tuple(leading),
        grid=tuple(grid),
        in_brief=tuple(o for o in (*leading, *grid) if guide is not None and o.name in guide.counted),
        judgements=_once(judgements, result.judgements),
        per_item=_each(judgements, result.judgements, guide),
        checks=_once(checks, result.checks),
        per_item_checks=_each(checks, result.checks, guide),
        undecided=tuple(o for o in every if o.status not in ("decided", "not_in_force")),
        problems=tuple(
            ProblemView(
                pointer=p.pointer or "/",
                code=p.code,
                message=p.message,
                expected=p.expected,
                found=p.found,
                hint=p.hint,
            )
            for p in result.problems
        ),
        explain=explain,
    )


def outcome_view(
    name: str, decision: Decision, guide: FrameworkGuide | None, *, anchor: str, check: bool = False
) -> OutcomeView:
    """One decision as a report shows it; `anchor` is the id of its part of the report."""
    title = guide.title_of(name) if guide is not None else words(name)
    item_label = guide.item_label(name, decision.item) if guide is not None else decision.item
    because: tuple[Because, ...] = ()
    if decision.status == "decided":
        reasons, cites, rules = (_listed(x) for x in (decision.reason, decision.cite, decision.rule))
        because = tuple(
            Because(reason=reason, source=cite, rule=rule)
            for reason, cite, rule in zip(reasons, cites, rules, strict=False)
        )
    elif decision.status == "not_in_force":  # the note says why, and what applies instead
        because = (Because(reason=decision.reason, source=None, rule=decision.rule),)
    return OutcomeView(
        name=name,
        anchor=anchor,
        title=title,
        item=decision.item,
        item_label=item_label,
        status=decision.status,
        text=outcome_text(decision),
        tone=tone(decision, guide, check=check),
        order=decision.value.rank if decision.status == "decided" and isinstance(decision.value, Symbol) else None,
        because=because,
        inputs=tuple(
            (pointer, _shown(guide.value_at(pointer, value) if guide is not None else value))
            for pointer, value in decision.inputs
        ),
        missing=decision.missing,
        error=decision.error,
        rule=None if decision.status == "decided" else _first(decision.rule),
        trace=decision.trace,
    )


def change_views(answer: WhatIf, guide: FrameworkGuide | None) -> tuple[ChangeView, ...]:
    """A `what_if` answer in short: per target, its smallest change, how many others, and the nearest number."""
    views = []
    for target in answer.targets:
        found = answer.suggestions.get(target, ())
        first = found[0] if found else None
        numeric = next((s for s in found if all(_is_number_change(op) for op in s.patch)), None)
        views.append(
            ChangeView(
                target=guide.outcome_label(answer.judgement, target) if guide is not None else display_value(target),
                change=_change_parts(first, guide) if first is not None else None,
                more=max(len(found) - 1, 0),
                near_miss=_change_parts(numeric, guide) if numeric is not None and numeric is not first else None,
            )
        )
    return tuple(views)


def _is_number_change(op: Mapping[str, Any]) -> bool:
    value, old = op.get("value"), op.get("_from")
    return op["op"] == "replace" and all(isinstance(v, int | float) and not isinstance(v, bool) for v in (value, old))


def _change_parts(suggestion: Suggestion, guide: FrameworkGuide | None) -> tuple[tuple[str, str], ...]:
    def shown(pointer: str, value: Any) -> str:
        return _shown(guide.value_at(pointer, value) if guide is not None else value)

    parts = []
    for op in suggestion.patch:
        pointer = op["path"]
        if op["op"] == "remove":
            parts.append((pointer, "removed"))
        elif op["op"] == "add":
            parts.append((pointer, f"added: {shown(pointer, op['value'])}"))
        else:
            parts.append((pointer, f"{shown(pointer, op.get('_from'))} → {shown(pointer, op['value'])}"))
    return tuple(parts)


def outcome_text(decision: Decision) -> str:
    """The outcome in words: its label(s), or why there is none."""
    if decision.status == "undetermined":
        return "Undetermined"
    if decision.status == "error":
        return "Could not be evaluated"
    if decision.status == "not_in_force":
        return "Not in force"
    label = decision.label
    if isinstance(label, list):
        return ", ".join(str(x) for x in label) if label else "None"
    if label is not None:
        return str(label)
    return display_value(decision.value)


def tone(decision: Decision, guide: FrameworkGuide | None, *, check: bool = False) -> str:
    """How the outcome looks: a grade's place on its scale, passed/failed, neutral, undetermined, error."""
    if decision.status == "not_in_force":
        return "neutral"
    if decision.status != "decided":
        return decision.status
    value = decision.value
    if type(value) is Symbol or isinstance(value, Symbol):
        if check and value.owner == "check_outcome":
            return value.name
        size = guide.scale_sizes.get(value.owner) if guide is not None and value.ordered else None
        if size:
            steps = _TONE_STEPS.get(size)
            step = steps[value.rank] if steps else 1 + round(4 * value.rank / max(size - 1, 1))
            return f"grade-{step}"
    return "neutral"


def _outcomes(
    group: Mapping[str, Decision | tuple[Decision, ...]],
    guide: FrameworkGuide | None,
    prefix: str,
    *,
    check: bool = False,
) -> dict[str, tuple[OutcomeView, ...]]:
    views: dict[str, tuple[OutcomeView, ...]] = {}
    for name, value in group.items():
        if isinstance(value, tuple):
            views[name] = tuple(
                outcome_view(name, d, guide, anchor=f"{prefix}-{name}-{i}", check=check)
                for i, d in enumerate(value, start=1)
            )
        else:
            views[name] = (outcome_view(name, value, guide, anchor=f"{prefix}-{name}", check=check),)
    return views


def _once(
    views: dict[str, tuple[OutcomeView, ...]], group: Mapping[str, Decision | tuple[Decision, ...]]
) -> tuple[OutcomeView, ...]:
    return tuple(views[name][0] for name, value in group.items() if not isinstance(value, tuple))


def _each(
    views: dict[str, tuple[OutcomeView, ...]],
    group: Mapping[str, Decision | tuple[Decision, ...]],
    guide: FrameworkGuide | None,
) -> tuple[GroupView, ...]:
    return tuple(
        GroupView(name=name, title=guide.title_of(name) if guide else words(name), outcomes=views[name])
        for name, value in group.items()
        if isinstance(value, tuple)
    )


def _subject(subject: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(subject, dict):
        return () if subject is None else (("Subject", _shown(subject)),)
    return tuple((words(str(key)), _shown(value)) for key, value in subject.items())


def _shown(value: Any) -> str:
    """An evidence value as people read it (JSON objects and lists kept as JSON-like text)."""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_shown(v)}" for key, v in value.items()) or "(empty)"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "none"
    if value is None:
        return "null"
    return display_value(value)


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _date_words(date: datetime.date | None) -> str:
    """`1 March 2019`, whatever the locale."""
    if date is None:
        return "not known"
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
