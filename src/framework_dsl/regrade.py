"""Re-grading a corpus under new rules: whose outcomes change, and why.

`framework-dsl diff --before OLD --after NEW CORPUS` evaluates every document of a
corpus under two versions of the rules and reports each decision whose outcome (or
status) differs, with both reasons and the rule (clause) that gave each. Documents are
read and compared one at a time, and only counts are kept, so memory does not grow
with the corpus.

Decisions are compared as the result JSON shows them (`Result.to_dict`): status and
outcome, per item for a for-each decision. A change of reason alone is not a change of
outcome and is not reported; a document whose own status changes (evaluated under one
version, invalid or not in force under the other) is one change named `status`.

`regrade_parallel` does the same with worker processes (`framework-dsl diff --jobs N`),
through the worker machinery of `framework-check --jobs` (parallel.py), and gives the
same changes in the same order.
"""

from __future__ import annotations

import datetime
import functools
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from framework_dsl.inputs import EvidenceInput, JsonlFile, evaluate_input
from framework_dsl.ruleset import RuleSet

__all__ = ["Change", "DocumentChanges", "RegradeSummary", "Side", "regrade", "regrade_parallel"]


@attrs.frozen(kw_only=True)
class Side:
    """One decision as one version of the rules gave it."""

    status: str
    outcome: Any  # None when not decided
    reason: str | None
    rule: str | None  # the clause's location

    def shown(self) -> str:
        """The outcome, or the status where there is none."""
        return self.status if self.outcome is None else _text(self.outcome)


@attrs.frozen(kw_only=True)
class Change:
    """A decision whose outcome differs between the two versions."""

    decision: str  # judgement or check name, or "status" for the document's own status
    item: int | None  # the item of a for-each decision
    before: Side
    after: Side

    def to_dict(self) -> dict[str, Any]:
        """The change as JSON data."""
        return {
            "decision": self.decision,
            "item": self.item,
            "before": attrs.asdict(self.before),
            "after": attrs.asdict(self.after),
        }


@attrs.frozen(kw_only=True)
class DocumentChanges:
    """Every change of one document (empty when its outcomes are the same)."""

    source: str
    framework: str | None
    changes: tuple[Change, ...]
    status: str = "evaluated"  # under the new rules
    problem: str | None = None  # the first problem, when not evaluated under the new rules

    @property
    def compared(self) -> bool:
        """Whether its outcomes could be compared: evaluated under one version at least."""
        return bool(self.changes) or self.status == "evaluated"

    def to_dict(self) -> dict[str, Any]:
        """The document's changes as JSON data (one line of `--format jsonl`)."""
        return {
            "source": self.source,
            "framework": self.framework,
            "changes": [change.to_dict() for change in self.changes],
        }


@attrs.define
class RegradeSummary:
    """Counts over the corpus: documents, documents changed, and changes by decision and outcomes."""

    documents: int = 0
    changed_documents: int = 0
    # Documents evaluated under neither version (unreadable, invalid or not in force under
    # both, alike): nothing of theirs was compared. Status -> how many.
    not_compared: Counter[str] = attrs.field(factory=Counter)
    # (framework, decision, before, after) -> how many
    transitions: Counter[tuple[str, str, str, str]] = attrs.field(factory=Counter)

    def add(self, document: DocumentChanges) -> None:
        """Count one document."""
        self.documents += 1
        if document.changes:
            self.changed_documents += 1
        elif not document.compared:
            self.not_compared[document.status] += 1
        for change in document.changes:
            key = (document.framework or "-", change.decision, change.before.shown(), change.after.shown())
            self.transitions[key] += 1

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON data, transitions most frequent first."""
        return {
            "documents": self.documents,
            "changed": self.changed_documents,
            "unchanged": self.documents - self.changed_documents,
            "not_compared": dict(sorted(self.not_compared.items())),
            "transitions": [
                {"framework": f, "decision": d, "before": b, "after": a, "count": n}
                for (f, d, b, a), n in sorted(self.transitions.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        }


def regrade(
    before: RuleSet,
    after: RuleSet,
    inputs: Iterable[EvidenceInput],
    *,
    as_of: datetime.date | None = None,
    framework: str | None = None,
) -> Iterator[DocumentChanges]:
    """Each document of `inputs` evaluated under both rule sets, with what changed (lazily, in order)."""
    for item in inputs:
        old = evaluate_input(before, item, as_of=as_of, framework=framework, explain=False).to_dict()
        decided = evaluate_input(after, item, as_of=as_of, framework=framework, explain=False)
        new = decided.to_dict()
        yield DocumentChanges(
            source=item.source,
            framework=new.get("framework") or old.get("framework"),
            changes=tuple(_changes(old, new)),
            status=new["status"],
            problem=(_note(new) or decided.note) if new["status"] != "evaluated" else None,
        )


def regrade_parallel(
    before: RuleSet,
    after: RuleSet,
    paths: tuple[tuple[str, ...], tuple[str, ...]],
    sources: Iterable[EvidenceInput | JsonlFile],
    *,
    jobs: int,
    as_of: datetime.date | None = None,
    framework: str | None = None,
    per_unit: int = 64,
) -> Iterator[DocumentChanges]:
    """`regrade` with `jobs` worker processes: the same documents' changes, in the same order.

    `sources` are as `inputs.iter_sources` gives them (a `.jsonl` file whole, which the
    workers read in runs of lines themselves). Workers that fork start with `before` and
    `after` as they are; spawned ones load them from `paths`. At most `jobs * 4` units
    of `per_unit` documents are out at once, so memory stays bounded however long the
    corpus is.
    """
    from framework_dsl.parallel import map_units, units_of

    task = functools.partial(_regrade_unit, (as_of, framework))
    for changes in map_units([before, after], list(paths), task, units_of(sources, per_unit), jobs=jobs):
        yield from changes


def _regrade_unit(options: tuple[Any, ...], rule_sets: list[RuleSet], unit: Any) -> list[DocumentChanges]:
    """A worker's part: every document of one unit re-graded (a list, in order)."""
    from framework_dsl.parallel import unit_inputs

    as_of, framework = options
    return list(regrade(rule_sets[0], rule_sets[1], unit_inputs(unit), as_of=as_of, framework=framework))


def _changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    if old["status"] != new["status"]:
        yield Change(
            decision="status",
            item=None,
            before=Side(status=old["status"], outcome=None, reason=_note(old), rule=None),
            after=Side(status=new["status"], outcome=None, reason=_note(new), rule=None),
        )
        return
    for group in ("judgements", "checks"):
        olds, news = old.get(group) or {}, new.get(group) or {}
        for name in [*olds, *(n for n in news if n not in olds)]:
            was, now = olds.get(name), news.get(name)
            if isinstance(was, list) or isinstance(now, list):
                was_items = was if isinstance(was, list) else []
                now_items = now if isinstance(now, list) else []
                for index in range(max(len(was_items), len(now_items))):
                    change = _compare(
                        name,
                        index,
                        was_items[index] if index < len(was_items) else None,
                        now_items[index] if index < len(now_items) else None,
                    )
                    if change is not None:
                        yield change
            else:
                change = _compare(name, None, was, now)
                if change is not None:
                    yield change


def _compare(name: str, item: int | None, was: dict[str, Any] | None, now: dict[str, Any] | None) -> Change | None:
    before, after = _side(was), _side(now)
    if (before.status, before.outcome) == (after.status, after.outcome):
        return None
    return Change(decision=name, item=item, before=before, after=after)


def _side(decision: dict[str, Any] | None) -> Side:
    if decision is None:
        return Side(status="absent", outcome=None, reason="this version of the rules has no such decision", rule=None)
    return Side(
        status=decision["status"],
        outcome=decision.get("outcome"),
        reason=decision.get("reason"),
        rule=decision.get("rule"),
    )


def _note(result: dict[str, Any]) -> str | None:
    problems = result.get("problems") or []
    if problems:
        first = problems[0]
        return f"{first['path']}: {first['message']}" if first.get("path") else str(first.get("message"))
    return None


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
