"""Python bytecodes executed per document, by function: where the engine's work goes, exactly.

    python benchmarks/bytecodes.py [--framework NAME] [--documents N] [--explain] [--top K]

A profile that does not move with the machine's load. Each document is evaluated once
more under `sys.settrace` with opcode events on, and every bytecode instruction the
interpreter executes is counted against the function it runs in; the counts are divided
by the number of documents. C functions (dict lookups, `json` decoding, msgspec encoding)
count nothing here: `benchmarks/instructions.py` counts machine instructions instead, for
the workload. The two together say where a change should go: the functions with the most
bytecodes are where the interpreter spends its dispatch.

- Without `--framework`: the benchmark workload (benchmarks/workload), as
  `benchmarks/run.py` measures it: `RuleSet.evaluate(document, as_of=...)` on documents
  from `workload/generate.py`, beside the hand-written Python function.
- With `--framework cqc` (or any bundled framework): what `framework-check FILE.jsonl
  --format jsonl` does for each line, through the public API: `evaluate_json` on the line,
  then `to_json_bytes(indent=None)`, on the benchmark's own evidence pool
  (`benchmarks/run.py`'s `evidence_pool`).

Counts depend on the Python version (3.11 here) and, slightly, on the hash seed (set
iteration order): run with `PYTHONHASHSEED=0` to compare two versions of the engine.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def count_bytecodes(work: Callable[[Any], Any], items: list[Any]) -> collections.Counter[str]:
    """Bytecodes executed by `work(item)` for each of `items`, by function (`file:name:line`)."""
    counts: collections.Counter[str] = collections.Counter()

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        if event == "opcode":
            code = frame.f_code
            counts[f"{Path(code.co_filename).name}:{code.co_name}:{code.co_firstlineno}"] += 1
        return tracer

    sys.settrace(tracer)
    try:
        for item in items:
            work(item)
    finally:
        sys.settrace(None)
    return counts


def workload(documents: int, explain: bool) -> dict[str, tuple[Callable[[Any], Any], list[Any]]]:
    from workload import engine, generate, handwritten

    import framework_dsl

    rules = framework_dsl.load_rules(engine.RULES)
    docs = generate.documents(documents)
    hand, _ = handwritten.IMPLEMENTATIONS[handwritten.BASELINE]()
    evaluate = rules.evaluate
    as_of = engine.AS_OF
    return {
        "hand-written Python: outcomes, reasons, inputs": (hand, docs),
        f"framework-dsl: evaluate{', explain=True' if explain else ''}": (
            lambda doc: evaluate(doc, as_of=as_of, explain=explain),
            docs,
        ),
    }


def end_to_end(framework: str, documents: int, explain: bool) -> dict[str, tuple[Callable[[Any], Any], list[Any]]]:
    import run

    import framework_dsl

    rules = framework_dsl.load_rules()
    pool, _ = run.evidence_pool(framework)
    lines = [json.dumps(pool[i % len(pool)], separators=(",", ":")) for i in range(documents)]

    def one(line: str) -> bytes:
        return rules.evaluate_json(line, explain=explain).to_json_bytes(indent=None, explain=explain)

    return {f"{framework}: evaluate_json + to_json_bytes, one .jsonl line": (one, lines)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", help="a bundled framework, end to end (default: the workload)")
    parser.add_argument("--documents", type=int, default=200, help="documents counted (default 200)")
    parser.add_argument("--explain", action="store_true", help="evaluate with explain=True")
    parser.add_argument("--top", type=int, default=25, help="functions listed (default 25)")
    args = parser.parse_args(argv)
    if args.framework:
        parts = end_to_end(args.framework, args.documents, args.explain)
    else:
        parts = workload(args.documents, args.explain)
    for label, (work, items) in parts.items():
        for item in items[:20]:  # compile and warm up outside the count
            work(item)
        counts = count_bytecodes(work, items)
        total = sum(counts.values()) / len(items)
        print(f"{label}: {total:,.0f} bytecodes per document ({len(items)} documents)")
        for where, count in counts.most_common(args.top):
            print(f"  {count / len(items):9,.1f}  {where}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
