"""The constants the rules compare against: the numbers, dates, texts, provisions and members a space varies around."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import attrs

from framework_dsl import ir
from framework_dsl.typesystem import Symbol
from framework_dsl.values import Provision


@attrs.define
class Constants:
    numbers: set[decimal.Decimal] = attrs.field(factory=set)
    dates: set[datetime.date] = attrs.field(factory=set)
    texts: set[str] = attrs.field(factory=set)
    provisions: set[str] = attrs.field(factory=set)
    symbols: set[Symbol] = attrs.field(factory=set)


def constants_of(nodes: list[Any]) -> Constants:
    found = Constants()
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if isinstance(node, ir.Const):
            value = node.value
            if isinstance(value, Symbol):
                found.symbols.add(value)
            elif isinstance(value, bool):
                pass
            elif isinstance(value, int | decimal.Decimal):
                found.numbers.add(decimal.Decimal(value))
            elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                found.dates.add(value)
            elif isinstance(value, str):
                found.texts.add(value)
            elif isinstance(value, Provision):
                found.provisions.add(value.text)
            elif isinstance(value, tuple | list | frozenset):
                pending.extend(ir.Const(value=v, type=node.type, span=node.span) for v in value)
            continue
        if isinstance(node, tuple | list):
            pending.extend(node)
        elif isinstance(node, dict):
            pending.extend(node.values())
        elif attrs.has(type(node)):
            pending.extend(
                getattr(node, f.name) for f in attrs.fields(type(node)) if f.name not in ("span", "type", "reason")
            )
    return found
