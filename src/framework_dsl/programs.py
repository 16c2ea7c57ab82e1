"""Compiled programs kept between processes, so that a run does not generate and compile again.

Compiling a framework's decisions is most of a short run's start-up (`cqc`'s take about
40 ms, against under 1 ms to load them back). A rule set loaded by `load_rules` keeps
what it compiles in a `ProgramStore`, by key: `decisions:NAME` and
`decisions:NAME:tracing` (`engine.codegen.FrameworkProgram`), `fused:NAME` and
`fused:NAME:tracing` (`engine.builder.Program`, `engine.fusion`).

- The bundled rules, answered from the wheel's bundle, find their programs there: the
  bundle is built with them (`bundler`), for this engine and this Python only, and has
  the trust of the installed code beside it (`bundle`).
- Any other rules (and any program the bundle lacks) use the per-user cache, whose
  entries are signed (`cache`); the key is the rules' digest, which covers every rule
  file, so a program is never taken for rules other than those it was compiled from,
  and the names the rule files are shown by (`ruleset._shown_files`): a program holds its
  clauses' locations (`rules/cqc/cqc.fw:160`, as the decisions' `rule` says), and the
  same files loaded from another folder, or by another path, are shown otherwise.

A stored program is checked again as it is loaded (`engine.safety.check_code`), and one
that does not load or does not fit its framework is compiled afresh. With the cache off
(`FRAMEWORK_DSL_NO_CACHE=1`) only the bundle answers.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

from framework_dsl import cache
from framework_dsl.bundle import PROGRAM_SECTION

__all__ = ["ProgramStore", "program_key"]


def program_key(kind: str, framework: str, tracing: bool) -> str:
    """The key of one of a framework's programs: `decisions:cqc`, `fused:clas:tracing`, ..."""
    return f"{kind}:{framework}{':tracing' if tracing else ''}"


class ProgramStore:
    """Where one rule set's programs are found and kept. Threads may share it: it holds no state of its own."""

    def __init__(
        self, digest: str, bundled: Mapping[str, bytes | memoryview] | None = None, shown: tuple[str, ...] = ()
    ) -> None:
        self.digest = digest  # the rule set's: part of every cache entry's name
        self._bundled = bundled or {}  # bundle section name -> pickled program
        # `ruleset._shown_files` of the rule set: part of every cache entry's name too (the bundle's
        # programs are made with the frameworks the bundle holds, so they always agree).
        self.shown = shown

    def get(self, key: str) -> Any | None:
        """The program stored under `key`, or None (not stored, or unreadable: it is then compiled)."""
        section = self._bundled.get(PROGRAM_SECTION + key)
        if section is not None:
            try:
                return pickle.loads(section)
            except Exception:  # a bundle this engine cannot read: compiled instead, as with no bundle
                return None
        if cache.cache_dir() is None:  # off: not even the key is worked out
            return None
        return cache.load(self._cache_name(key))

    def put(self, key: str, program: Any) -> None:
        """Keep `program` under `key` in the per-user cache (nothing is kept when it is off)."""
        if PROGRAM_SECTION + key not in self._bundled and cache.cache_dir() is not None:
            cache.store(self._cache_name(key), program)

    def _cache_name(self, key: str) -> str:
        return f"program-{cache.key('program', self.digest, *self.shown, key)[:40]}.pickle"
