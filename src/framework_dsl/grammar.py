"""The grammar stage: load the packaged Lark grammar once, as an LALR parser.

The parser object is the one module-level cache in the engine. It is immutable once
built and safe to share between threads (each parse keeps its own state).
`tests/unit/test_grammar.py` builds the same grammar with `strict=True`, which fails
on any shift/reduce conflict or terminal collision.
"""

from __future__ import annotations

import functools
import io
import re

import lark
from lark import Lark
from lark.lexer import PatternStr

from framework_dsl import bundle, cache
from framework_dsl.resources import grammar_path

START_RULES = ("start", "interpolation")


def grammar_text() -> str:
    """The grammar source, as shipped."""
    return grammar_path().read_text(encoding="utf-8")


@functools.cache
def rule_parser() -> Lark:
    """The LALR parser for rule files (`start`) and reason interpolations."""
    # The tables come from the bundle installed with the package when it was built from
    # this grammar under this Lark; else through the signed per-user cache (Lark's own
    # file cache would unpickle whatever file is there); the entry's name covers the
    # grammar and the engine.
    text = grammar_text()
    tables = bundle.load_grammar_section(text, lark.__version__)
    if tables is not None:
        try:
            return Lark.load(io.BytesIO(tables))
        except Exception:  # tables this Lark cannot read: the cache or a fresh build answers
            pass
    name = cache.grammar_cache_name(text)
    data = cache.load_bytes(name)
    if data is not None:
        try:
            return Lark.load(io.BytesIO(data))
        except Exception:  # a signed entry of another Lark: build afresh
            pass
    parser = build_parser(strict=False)
    saved = io.BytesIO()
    parser.save(saved)
    cache.store_bytes(name, saved.getvalue())
    return parser


def build_parser(*, strict: bool) -> Lark:
    """A fresh parser; `strict=True` also proves the grammar free of conflicts."""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        start=list(START_RULES),
        strict=strict,
    )


@functools.cache
def keywords() -> tuple[str, ...]:
    """Every word the grammar spells out (`judgement`, `when`, `at`, `most`, ...), sorted.

    Editors highlight and complete these; the TextMate grammar in `editors/` lists
    the same words, and a test keeps the two in step.
    """
    words = {
        terminal.pattern.value
        for terminal in rule_parser().terminals
        if isinstance(terminal.pattern, PatternStr) and re.fullmatch("[a-z]+", terminal.pattern.value)
    }
    return tuple(sorted(words))
