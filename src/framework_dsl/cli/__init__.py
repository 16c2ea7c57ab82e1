"""The commands: `framework-check` (check evidence) and `framework-dsl` (author rules).

Thin by design: each command parses its arguments, calls the API, renders, and maps
the outcome to an exit code. One module per command. This package imports nothing
until a name is asked for, so `framework-check` starts without loading the authoring
tools (the parser, checker and formatter are needed only when the rules cache misses).
"""

from __future__ import annotations

from typing import Any

__all__ = ["EvidenceInput", "evaluate_input", "framework_check", "framework_dsl", "main_check", "main_dsl"]


def __getattr__(name: str) -> Any:
    if name in ("framework_check", "main_check"):
        from framework_dsl.cli import check

        return getattr(check, name)
    if name in ("framework_dsl", "main_dsl"):
        from framework_dsl.cli import dsl

        return getattr(dsl, name)
    if name in ("EvidenceInput", "evaluate_input"):
        from framework_dsl import inputs

        return getattr(inputs, name)
    raise AttributeError(name)
