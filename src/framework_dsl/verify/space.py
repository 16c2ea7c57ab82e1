"""The space of documents: every evidence document that varies what a decision reads, each as JSON data."""

from __future__ import annotations

import datetime
import decimal
import itertools
import math
from collections.abc import Iterator
from typing import Any

from framework_dsl import ir
from framework_dsl.typesystem import (
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    PROVISION,
    TEXT,
    Choice,
    ListOf,
    MapOf,
    Prim,
    RecordType,
    SetOf,
    Type,
)
from framework_dsl.verify.constants import Constants
from framework_dsl.verify.reads import Path, is_leafy, type_at

ABSENT = object()


class Space:
    """The documents that vary what `reads` reads, each as JSON data."""

    def __init__(
        self,
        framework: ir.Framework,
        reads: set[Path],
        constants: Constants,
        dated_values: list[datetime.date],
        max_items: int,
        overrides: dict[Path, tuple[Any, ...]] | None = None,
    ) -> None:
        self.framework = framework
        self.max_items = max_items
        # Fields whose values are given, not derived from the schema: a cut decision's
        # outcomes (`ABSENT` among them for an item absent or undetermined).
        self.overrides = overrides or {}
        self.constants = constants
        self.dated_values = dated_values
        self.exact: set[Path] = set()  # structure reads: presence, length, keys
        self.full: set[Path] = set()  # value reads: everything beneath matters
        for path in reads:
            (self.full if is_leafy(type_at(framework.evidence, path)) else self.exact).add(path)
        self.dated_read = framework.dated_by is not None and framework.dated_by in reads
        if framework.dated_by is not None:
            self.full.add(framework.dated_by)
        thresholds = sorted(constants.numbers)
        self.thresholds = thresholds
        self._counts: dict[Path, int] = {}  # `_count` by location, for `_at`

    def signature(self) -> tuple[Any, ...]:
        """Equal for two spaces that hold the same documents in the same order."""
        return (
            tuple(self.varied(self.framework.evidence, ())),
            tuple(self.options(DATE, self.framework.dated_by or ())),
            self.max_items,
            tuple(sorted((path, repr(values)) for path, values in self.overrides.items())),
        )

    def varied(self, t: Type, location: Path) -> Iterator[Path]:
        """The locations whose values the space varies, in schema order."""
        children: list[tuple[Type, Path]] = []
        if isinstance(t, RecordType):
            children = [(info.type, (*location, name)) for name, info in t.fields.items()]
        elif isinstance(t, MapOf):
            children = [(t.value, (*location, m.name)) for m in t.key.members]
        elif isinstance(t, ListOf | SetOf):
            children = [(t.element, (*location, "*"))]
        for child_type, child in children:
            if self.varies(child):
                yield child
                yield from self.varied(child_type, child)

    def has_lists(self) -> bool:
        """Whether some list or set the space varies could hold more items."""
        return any(loc and loc[-1] == "*" for loc in self.varied(self.framework.evidence, ())) or any(
            isinstance(type_at(self.framework.evidence, p), ListOf | SetOf) for p in self.exact | self.full
        )

    def _matches(self, pattern: Path, location: Path) -> bool:
        return all(p in ("*", c) or c == "*" for p, c in zip(pattern, location, strict=False))

    def varies(self, location: Path) -> bool:
        """Whether the value at `location` (map keys named, list items "*") matters to what is read."""
        for path in self.full:
            if len(path) <= len(location) and self._matches(path, location):
                return True
        for path in self.exact:
            if len(path) >= len(location) and self._matches(path, location):
                return True
        return any(len(path) > len(location) and self._matches(path, location) for path in self.full)

    def documents(self) -> Iterator[dict[str, Any]]:
        """Every document of the space."""
        for value in self.values(self.framework.evidence, ()):
            yield {"framework": self.framework.name, **value}

    def size(self) -> int:
        """How many documents `documents` gives."""
        return self._count(self.framework.evidence, ())

    def spread_documents(self, count: int) -> Iterator[dict[str, Any]]:
        """`count` documents of the space spread across it (every `step`-th in a fixed order, `step` near the golden
        section of the size), the same ones on every run."""
        size = self.size()
        step = max(1, size * 618_033_989 // 1_000_000_000) | 1
        while math.gcd(step, size) != 1:
            step += 2
        for index in range(min(count, size)):
            value = self._at(self.framework.evidence, (), index * step % size)
            yield {"framework": self.framework.name, **value}

    def _at(self, t: Type, location: Path, index: int) -> Any:
        """The document (or value) number `index` of the `_count` at this location, digit by digit."""
        if isinstance(t, RecordType):
            out: dict[str, Any] = {}
            for name, info in t.fields.items():
                child = (*location, name)
                if child in self.overrides:
                    options = self.overrides[child]
                    index, digit = divmod(index, len(options))
                    if options[digit] is not ABSENT:
                        out[name] = options[digit]
                elif self.varies(child):
                    width = self._count(info.type, child) + (1 if info.optional else 0)
                    index, digit = divmod(index, width)
                    if not (info.optional and digit == width - 1):
                        out[name] = self._at(info.type, child, digit)
                elif not info.optional:
                    out[name] = self.default(info.type, child)
            return out
        if isinstance(t, MapOf):
            entries: dict[str, Any] = {}
            for member in t.key.members:
                child = (*location, member.name)
                if child in self.overrides:
                    options = self.overrides[child]
                    index, digit = divmod(index, len(options))
                    if options[digit] is not ABSENT:
                        entries[member.name] = options[digit]
                elif self.varies(child):
                    index, digit = divmod(index, 1 + self._count(t.value, child))
                    if digit:
                        entries[member.name] = self._at(t.value, child, digit - 1)
            return entries
        if isinstance(t, ListOf | SetOf):
            child = (*location, "*")
            varied = self.varies(child)
            n = self._count(t.element, child) if varied else 1
            if isinstance(t, SetOf):
                items = list(self.values(t.element, child)) if varied else [self.default(t.element, child)]
                for size in range(self.max_items + 1):
                    block = _choose(n, size)
                    if index < block:
                        return list(next(itertools.islice(itertools.combinations(items, size), index, None)))
                    index -= block
                raise IndexError(index)  # pragma: no cover
            for size in range(self.max_items + 1):
                block = n**size
                if index < block:
                    out_items = []
                    for _ in range(size):
                        index, digit = divmod(index, n)
                        item = self._at(t.element, child, digit) if varied else self.default(t.element, child)
                        out_items.append(item)
                    return out_items
                index -= block
            raise IndexError(index)  # pragma: no cover
        return self.options(t, location)[index]

    def sparse_documents(self) -> Iterator[dict[str, Any]]:
        """Documents of the space with at most one entry in each map and one item in each list, fewest first."""
        for value in self._sparse(self.framework.evidence, ()):
            yield {"framework": self.framework.name, **value}

    def _sparse(self, t: Type, location: Path) -> Iterator[Any]:
        if isinstance(t, RecordType):
            names = list(t.fields)
            per_field: list[list[Any]] = []
            for name in names:
                info = t.fields[name]
                child = (*location, name)
                if self.varies(child):
                    options = [ABSENT] if info.optional else []
                    options.extend(self._sparse(info.type, child))
                elif info.optional:
                    options = [ABSENT]
                else:
                    options = [self.default(info.type, child)]
                per_field.append(options)
            for combination in diagonal(per_field):
                yield {n: v for n, v in zip(names, combination, strict=True) if v is not ABSENT}
        elif isinstance(t, MapOf):
            yield {}
            # Each key in turn, so that every key's first values come early.
            pending = [
                (member.name, self._sparse(t.value, (*location, member.name)))
                for member in t.key.members
                if self.varies((*location, member.name))
            ]
            while pending:
                for entry in list(pending):
                    value = next(entry[1], ABSENT)
                    if value is ABSENT:
                        pending.remove(entry)
                    else:
                        yield {entry[0]: value}
        elif isinstance(t, ListOf | SetOf):
            yield []
            child = (*location, "*")
            if self.varies(child):
                for item in self._sparse(t.element, child):
                    yield [item]
            else:
                yield [self.default(t.element, child)]
        else:
            yield from self.options(t, location)

    # -- values of a type at a location

    def options(self, t: Type, location: Path) -> list[Any]:
        """The values a leaf takes (for a field the rules read)."""
        if location == self.framework.dated_by:
            days = set(self.dated_values)
            if self.dated_read:  # compared as a date too: also the dates it is compared with, a day either side
                start, until = self.framework.effective_from, self.framework.effective_until
                days |= {
                    d + datetime.timedelta(days=k)
                    for d in self.constants.dates
                    for k in (-1, 0, 1)
                    if (start is None or d + datetime.timedelta(days=k) >= start)
                    and (until is None or d + datetime.timedelta(days=k) <= until)
                }
            return [d.isoformat() for d in sorted(days)]
        if isinstance(t, Choice):
            members = list(t.members)
            named = [m for m in members if m.ordered or m in self.constants.symbols]
            alike = [m for m in members if not (m.ordered or m in self.constants.symbols)]
            return [m.name for m in named + alike[:1]]
        if t == BOOLEAN:
            return [False, True]
        if isinstance(t, Prim) and t in (INTEGER, DECIMAL):
            return self.numbers(t)
        if isinstance(t, Prim) and t == DATE:
            dates = (*self.constants.dates, *self.dated_values)
            around = {d + datetime.timedelta(days=k) for d in dates for k in (-1, 0, 1)}
            return [d.isoformat() for d in sorted(around)]
        if isinstance(t, Prim) and t == PROVISION:
            provisions = sorted(self.constants.provisions)
            parents = sorted({n.rsplit("(", 1)[0] for n in provisions if n.count("(") > 1})
            children = [n + "(z)" for n in provisions]
            return [*provisions, *parents, *children, "99(1)"]
        if isinstance(t, Prim) and t == TEXT:
            return [*sorted(self.constants.texts), "other"]
        return [self.default(t, location)]

    def numbers(self, t: Prim) -> list[Any]:
        integral = t == INTEGER
        found: set[decimal.Decimal] = set()
        for threshold in self.thresholds:
            step = decimal.Decimal(1) if integral else _unit(threshold)
            found.update((threshold - step, threshold, threshold + step))
        if not found:
            found.add(decimal.Decimal(0))
        low, high = t.low, t.high
        if low is not None:
            found = {n for n in found if n >= low} | {decimal.Decimal(low)}
        if high is not None:
            found = {n for n in found if n <= high} | {decimal.Decimal(high)}
        out: list[Any] = []
        for number in sorted(found):
            if integral:
                if number == number.to_integral_value():
                    out.append(int(number))
            else:
                out.append(int(number) if number == number.to_integral_value() else float(number))
        return out

    def default(self, t: Type, location: Path) -> Any:
        """The one value a field no rule reads keeps."""
        if location == self.framework.dated_by:
            return self.dated_values[0].isoformat()
        if isinstance(t, Choice):
            return t.members[0].name
        if t == BOOLEAN:
            return False
        if isinstance(t, Prim) and t in (INTEGER, DECIMAL):
            return int(t.low) if t.low is not None else 0
        if t == DATE:
            return self.dated_values[0].isoformat()
        if t == PROVISION:
            return "1"
        if t == TEXT:
            return "x"
        if isinstance(t, ListOf | SetOf):
            return []
        if isinstance(t, MapOf):
            return {}
        if isinstance(t, RecordType):
            return {
                name: self.default(info.type, (*location, name)) for name, info in t.fields.items() if not info.optional
            }
        return None

    def values(self, t: Type, location: Path) -> Iterator[Any]:
        if isinstance(t, RecordType):
            names = list(t.fields)
            per_field: list[list[Any]] = []
            for name in names:
                info = t.fields[name]
                child = (*location, name)
                if child in self.overrides:
                    options = list(self.overrides[child])
                elif self.varies(child):
                    options = list(self.values(info.type, child))
                    if info.optional:
                        options.append(ABSENT)
                elif info.optional:
                    options = [ABSENT]
                else:
                    options = [self.default(info.type, child)]
                per_field.append(options)
            for combination in itertools.product(*per_field):
                yield {n: v for n, v in zip(names, combination, strict=True) if v is not ABSENT}
        elif isinstance(t, MapOf):
            keys = [m.name for m in t.key.members]
            per_key: list[list[Any]] = []
            for key in keys:
                child = (*location, key)
                if child in self.overrides:
                    per_key.append(list(self.overrides[child]))
                else:
                    per_key.append([ABSENT, *self.values(t.value, child)] if self.varies(child) else [ABSENT])
            for combination in itertools.product(*per_key):
                yield {k: v for k, v in zip(keys, combination, strict=True) if v is not ABSENT}
        elif isinstance(t, ListOf | SetOf):
            child = (*location, "*")
            items = list(self.values(t.element, child)) if self.varies(child) else [self.default(t.element, child)]
            yield []
            for size in range(1, self.max_items + 1):
                if isinstance(t, SetOf):
                    for chosen in itertools.combinations(items, size):
                        yield list(chosen)
                else:
                    for chosen_list in itertools.product(items, repeat=size):
                        yield list(chosen_list)  # items are shared: no document is changed in place
        else:
            yield from self.options(t, location)

    def _count(self, t: Type, location: Path) -> int:
        found = self._counts.get(location)
        if found is None:
            found = self._counts[location] = self._count_at(t, location)
        return found

    def _count_at(self, t: Type, location: Path) -> int:
        if isinstance(t, RecordType):
            total = 1
            for name, info in t.fields.items():
                child = (*location, name)
                if child in self.overrides:
                    total *= len(self.overrides[child])
                elif self.varies(child):
                    total *= self._count(info.type, child) + (1 if info.optional else 0)
            return total
        if isinstance(t, MapOf):
            total = 1
            for member in t.key.members:
                child = (*location, member.name)
                if child in self.overrides:
                    total *= len(self.overrides[child])
                elif self.varies(child):
                    total *= 1 + self._count(t.value, child)
            return total
        if isinstance(t, ListOf | SetOf):
            child = (*location, "*")
            n = self._count(t.element, child) if self.varies(child) else 1
            if isinstance(t, SetOf):
                return sum(_choose(n, k) for k in range(self.max_items + 1))
            return sum(n**k for k in range(self.max_items + 1))
        return len(self.options(t, location))


def diagonal(options: list[list[Any]]) -> Iterator[tuple[Any, ...]]:
    """Every combination of one option from each list, by the sum of the options' places: each list's first options
    meet the others' first options early, whichever list comes last."""
    sizes = [len(o) for o in options]
    if not all(sizes):
        return
    rest = [sum(s - 1 for s in sizes[i + 1 :]) for i in range(len(sizes))]

    def at(index: int, remaining: int) -> Iterator[tuple[Any, ...]]:
        if index == len(options):
            yield ()
            return
        for place in range(max(0, remaining - rest[index]), min(sizes[index] - 1, remaining) + 1):
            for tail in at(index + 1, remaining - place):
                yield (options[index][place], *tail)

    for level in range(sum(s - 1 for s in sizes) + 1):
        yield from at(0, level)


def _choose(n: int, k: int) -> int:
    if k > n:
        return 0
    out = 1
    for i in range(k):
        out = out * (n - i) // (i + 1)
    return out


def _unit(number: decimal.Decimal) -> decimal.Decimal:
    exponent = number.as_tuple().exponent
    return decimal.Decimal(1).scaleb(min(exponent, 0) if isinstance(exponent, int) else 0)


def document_key(document: dict[str, Any]) -> int:
    """Equal for documents of one space that are equal (each is built in schema order)."""
    return hash(repr(document))
