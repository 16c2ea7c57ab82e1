"""The commands: `framework-check` (check evidence) and `framework-dsl` (author rules).

Thin by design: each command parses its arguments, calls the API, renders, and maps
the outcome to an exit code. One module per command. This package imports nothing
until a name is asked for, so `framework-check` starts without loading the authoring
tools (the parser, checker and formatter are needed only when the rules cache misses).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EvidenceInput",
    "end_start_up",
    "evaluate_input",
    "framework_check",
    "framework_dsl",
    "main_check",
    "main_dsl",
]


def main_check() -> None:
    """Console entry point of `framework-check`: Ctrl-C at any moment, even while the
    engine is still being imported, is "interrupted" and exit 130, never a traceback.

    The cyclic garbage collector is off from here until the rules are loaded (then
    `check.framework_check` calls `end_start_up`, told through the click context that
    the collector was paused here): importing the engine and unpickling the checked rules
    make many objects that live as long as the process, so every collection in that time
    was wasted start-up time.
    """
    import gc

    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        from framework_dsl.cli import check

        check.main_check(gc_paused=paused)
    except KeyboardInterrupt:
        _interrupted()
    finally:  # stopped before the rules were loaded (a usage error): the collector goes back on as it was
        if paused and not gc.isenabled():
            gc.enable()


def end_start_up(*, paused: bool, collect: bool) -> None:
    """Turn the garbage collector back on, if `main_check` paused it (`paused`) and it is still off.

    What start-up made (the engine's modules, the rules) lives as long as the process, so
    it is frozen first: no later collection walks it again, and the first one after
    start-up is not a walk over all of it. `collect`: collect first, when start-up left
    garbage (rules parsed and checked just now), so that none of it is kept. A program
    that calls the command itself (not through `main_check`) keeps its collector as it was.
    """
    import gc

    if not paused or gc.isenabled():
        return
    if collect:
        gc.collect()
    gc.freeze()
    gc.enable()


def main_dsl() -> None:
    """Console entry point of `framework-dsl`, with Ctrl-C handled as `main_check` does."""
    try:
        from framework_dsl.cli import dsl

        dsl.main_dsl()
    except KeyboardInterrupt:
        _interrupted()


def _interrupted() -> None:
    import sys

    try:
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
    finally:
        raise SystemExit(130)


def __getattr__(name: str) -> Any:
    if name == "framework_check":
        from framework_dsl.cli import check

        return check.framework_check
    if name == "framework_dsl":
        from framework_dsl.cli import dsl

        return dsl.framework_dsl
    if name in ("EvidenceInput", "evaluate_input"):
        from framework_dsl import inputs

        return getattr(inputs, name)
    raise AttributeError(name)
