"""Citations that are checked: a registry of sources' numbered paragraphs.

A rules root may hold `sources.toml`, a registry of the documents its rules cite and the
numbered parts each has. A citation that names a registered source ("Ofsted (2018)
paragraphs 3 and 5", "regulation 17(3)") is read for the parts it names; the linter
flags a part the source does not have (`lint.unknown-citation`), and
`framework-dsl citations` lists, for each part, the clauses that cite it and the
examples that exercise those clauses.

The registry format (TOML):

    [[source]]
    key = "ofsted-2018"                      # how the report names it
    title = "Inspecting multi-agency ..."    # the document
    cited_as = "Ofsted (2018)"               # how citations name it
    part = "paragraph"                       # what its numbered parts are called
    parts = "1-21"                           # ranges, or a list of names: ["9", "9A", ...]

A citation is matched by `cited_as` followed by the part word, in singular or plural
(`paragraph 4`, `paragraphs 2-6`, `paragraphs 1, 2 and 5`); with `cited_as = ""` the part
word alone is enough (`regulation 12`). Sub-paragraphs (`17(3)(a)`) are matched by their
number: only the part itself is checked.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from framework_dsl import ir

__all__ = [
    "REGISTRY_FILE",
    "CitedPart",
    "PartReport",
    "RegistryError",
    "Source",
    "SourceReport",
    "citation_report",
    "cited_parts",
    "load_registry",
]

REGISTRY_FILE = "sources.toml"


class RegistryError(ValueError):
    """The registry file cannot be used: the message says where and why."""


@attrs.frozen(kw_only=True)
class Source:
    """A cited document and its numbered parts, in order."""

    key: str
    title: str
    cited_as: str
    part: str
    parts: tuple[str, ...]

    def pattern(self) -> re.Pattern[str]:
        """Matches a citation of this source and captures the list of parts it names."""
        word = re.escape(self.part)
        lead = re.escape(self.cited_as) + r"\s+" if self.cited_as else r"\b"
        name = r"(?!\d{4}\b)\d+[A-Z]?(?:\([0-9a-z]+\))*"  # not a year: "Regulations 2014"
        listed = rf"{name}(?:\s*[-–]\s*{name})?(?:\s*(?:,|and|&)\s*{name}(?:\s*[-–]\s*{name})?)*"
        return re.compile(rf"{lead}{word}s?\s+({listed})", re.IGNORECASE if not self.cited_as else 0)

    def expand(self, listed: str) -> tuple[list[str], list[str]]:
        """The parts a citation's list names, and those of them the source does not have."""
        named: list[str] = []
        unknown: list[str] = []
        for piece in re.split(r"\s*(?:,|\band\b|&)\s*", listed.strip()):
            if not piece:
                continue
            ends = [re.sub(r"\(.*", "", end.strip()) for end in re.split(r"\s*[-–]\s*", piece)]
            if len(ends) == 2 and ends[0] in self.parts and ends[1] in self.parts:
                first, last = self.parts.index(ends[0]), self.parts.index(ends[1])
                named.extend(self.parts[first : last + 1])
                continue
            for end in ends:
                (named if end in self.parts else unknown).append(end)
        return named, unknown


@attrs.frozen(kw_only=True)
class CitedPart:
    """One part of a source named by one clause's citation."""

    source: Source
    part: str
    known: bool
    framework: str
    decision: str
    clause: ir.Clause
    text: str  # the words of the citation that name it, e.g. "paragraphs 3 and 5"


def load_registry(root: Path) -> tuple[Source, ...]:
    """The sources registered in `root/sources.toml` (none when there is no such file)."""
    path = root / REGISTRY_FILE
    if not path.is_file():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RegistryError(f"{path}: {error}") from None
    sources = []
    for index, entry in enumerate(data.get("source", [])):
        where = f"{path}: source {index + 1}"
        try:
            sources.append(
                Source(
                    key=_text(entry, "key", where),
                    title=_text(entry, "title", where),
                    cited_as=str(entry.get("cited_as", "")),
                    part=_text(entry, "part", where),
                    parts=_parts(entry.get("parts"), where),
                )
            )
        except (TypeError, AttributeError):
            raise RegistryError(f"{where}: expected a table with key, title, part and parts") from None
    return tuple(sources)


def cited_parts(framework: ir.Framework, sources: tuple[Source, ...]) -> Iterator[CitedPart]:
    """Every part of a registered source that the framework's clauses cite, known or not."""
    patterns = [(source, source.pattern()) for source in sources]
    for decision in (*framework.judgements, *framework.checks):
        for clause in decision.clauses:
            if clause.citation is None:
                continue
            for source, pattern in patterns:
                for match in pattern.finditer(clause.citation):
                    named, unknown = source.expand(match.group(1))
                    for part, known in [*((p, True) for p in named), *((p, False) for p in unknown)]:
                        yield CitedPart(
                            source=source,
                            part=part,
                            known=known,
                            framework=framework.name,
                            decision=decision.name,
                            clause=clause,
                            text=match.group(0),
                        )


def _text(entry: dict[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value:
        raise RegistryError(f"{where}: `{name}` must be a non-empty text")
    return value


def _parts(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, str):
        parts: list[str] = []
        for piece in value.split(","):
            bounds = [b.strip() for b in piece.split("-")]
            if len(bounds) == 2 and all(b.isdigit() for b in bounds):
                parts.extend(str(n) for n in range(int(bounds[0]), int(bounds[1]) + 1))
            elif len(bounds) == 1 and bounds[0]:
                parts.append(bounds[0])
            else:
                raise RegistryError(f"{where}: `parts` piece {piece!r} is not a number, a name or a range N-M")
        return tuple(parts)
    raise RegistryError(f'{where}: `parts` must be a list of names or ranges like "1-21"')


@attrs.frozen(kw_only=True)
class PartReport:
    """One registered part: the clauses that cite it and the examples that exercise them."""

    part: str
    clauses: tuple[tuple[str, str], ...]  # (clause location, "framework.decision")
    examples: tuple[tuple[str, str], ...]  # (example title, its location)


@attrs.frozen(kw_only=True)
class SourceReport:
    """A registered source, part by part, and the citations of parts it does not have."""

    source: Source
    parts: tuple[PartReport, ...]
    unknown: tuple[CitedPart, ...]

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "source": self.source.key,
            "title": self.source.title,
            "parts": [
                {
                    "part": p.part,
                    "cited_by": [{"rule": rule, "decision": decision} for rule, decision in p.clauses],
                    "examples": [{"title": title, "location": where} for title, where in p.examples],
                }
                for p in self.parts
            ],
            "unknown": [
                {"part": c.part, "rule": c.clause.location, "decision": f"{c.framework}.{c.decision}", "text": c.text}
                for c in self.unknown
            ],
        }


def citation_report(
    frameworks: list[ir.Framework], sources: tuple[Source, ...], fired: dict[str, list[tuple[str, str]]]
) -> tuple[SourceReport, ...]:
    """Per source and part, who cites it; `fired` maps a clause id to the examples (title, location) that reach it."""
    reports = []
    for source in sources:
        by_part: dict[str, list[CitedPart]] = {part: [] for part in source.parts}
        unknown: list[CitedPart] = []
        for framework in frameworks:
            for cited in cited_parts(framework, (source,)):
                (by_part[cited.part] if cited.known else unknown).append(cited)
        parts = []
        for part, cites in by_part.items():
            clauses = dict.fromkeys((c.clause.location, f"{c.framework}.{c.decision}") for c in cites)
            examples = dict.fromkeys(example for c in cites for example in fired.get(c.clause.id, ()))
            parts.append(PartReport(part=part, clauses=tuple(clauses), examples=tuple(examples)))
        reports.append(SourceReport(source=source, parts=tuple(parts), unknown=tuple(unknown)))
    return tuple(reports)
