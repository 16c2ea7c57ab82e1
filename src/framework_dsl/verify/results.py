"""What `framework-dsl verify` reports: each property's result, each decision's reachability, per framework."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class PropertyResult:
    """One declared property and what checking it found."""

    name: str
    kind: str  # "invariant" | "monotonic"
    location: str
    status: str  # "holds" | "fails" | "too_large" | "unproved" (over a cut framework: broken, not by a real document)
    documents: int  # documents in its space
    compared: int  # invariants: documents where it was decided; monotonic: pairs compared
    undecided: int  # invariants: documents where it was undetermined or not in force
    counterexample: dict[str, Any] | None = None
    note: str | None = None
    reason: str | None = None
    citation: str | None = None
    max_items: int = 1  # lists and sets in its documents held up to this many items
    # Checked over a cut framework: each decision whose outcomes were given as evidence, and
    # where those came from ("documents": its own documents; "type": every outcome of its type).
    cut: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "name": self.name,
            "kind": self.kind,
            "location": self.location,
            "status": self.status,
            "documents": self.documents,
            "compared": self.compared,
            "undecided": self.undecided,
            "max_items": self.max_items,
            "cut": [{"decision": name, "outcomes_from": source} for name, source in self.cut],
            "counterexample": self.counterexample,
            "note": self.note,
        }


@attrs.frozen(kw_only=True)
class Reachability:
    """For one judgement or check: what no document of its space produces or reaches."""

    decision: str
    location: str
    status: str  # "exact" | "too_large"
    documents: int
    never_outcomes: tuple[str, ...] = ()
    never_clauses: tuple[tuple[int, str], ...] = ()  # (clause number, location)
    # Which of those `framework-dsl lint` reports too (lint.unproducible-grade, lint.unreachable-clause).
    lint_outcomes: frozenset[str] = frozenset()
    lint_clauses: frozenset[int] = frozenset()
    max_items: int = 1
    # Checked over a cut framework: the decisions cut, and what a document of the cut
    # framework gives but no rebuilt real document confirmed (neither proved reached nor never).
    cut: tuple[tuple[str, str], ...] = ()
    searched: int = 0  # too many to enumerate: every outcome and clause reached by this many documents spread across
    unconfirmed_outcomes: tuple[str, ...] = ()
    unconfirmed_clauses: tuple[tuple[int, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "decision": self.decision,
            "location": self.location,
            "status": self.status,
            "documents": self.documents,
            "max_items": self.max_items,
            "cut": [{"decision": name, "outcomes_from": source} for name, source in self.cut],
            "searched": self.searched,
            "unconfirmed_outcomes": list(self.unconfirmed_outcomes),
            "unconfirmed_clauses": [{"clause": n, "location": loc} for n, loc in self.unconfirmed_clauses],
            "never_outcomes": [{"outcome": o, "lint": o in self.lint_outcomes} for o in self.never_outcomes],
            "never_clauses": [
                {"clause": n, "location": loc, "lint": n in self.lint_clauses} for n, loc in self.never_clauses
            ],
        }


@attrs.frozen(kw_only=True)
class FrameworkReport:
    """Everything verify found for one framework."""

    framework: str
    properties: tuple[PropertyResult, ...]
    reachability: tuple[Reachability, ...]
    evaluations: int

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "framework": self.framework,
            "properties": [p.to_dict() for p in self.properties],
            "reachability": [
                r.to_dict()
                for r in self.reachability
                if r.never_outcomes
                or r.never_clauses
                or r.unconfirmed_outcomes
                or r.unconfirmed_clauses
                or r.cut
                or r.searched
            ]
            + [r.to_dict() for r in self.reachability if r.status == "too_large"],
            "evaluations": self.evaluations,
        }


@attrs.frozen(kw_only=True)
class VerifyReport:
    """The answer for a rule set: a report per framework."""

    frameworks: tuple[FrameworkReport, ...]
    max_items: int

    @property
    def failed(self) -> list[PropertyResult]:
        """The properties a document breaks."""
        return [p for f in self.frameworks for p in f.properties if p.status == "fails"]

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "max_items": self.max_items,
            "frameworks": [f.to_dict() for f in self.frameworks],
            "failed": len(self.failed),
        }


def count_text(n: int) -> str:
    """A count for people: `326,592`, or `about 10^796` for one too long to read."""
    return f"{n:,}" if n < 10**12 else f"about 10^{len(str(n)) - 1}"
