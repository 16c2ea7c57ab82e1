"""Machine instructions per workload document, counted by valgrind (callgrind): a measure
that does not drift with the machine's load.

    python benchmarks/instructions.py [--documents 2000] [--only NAME ...] [--output FILE.json]

Wall-clock ratios on a shared 2-core machine move by 20-30 % within minutes
(benchmarks/README.md); instruction counts move by well under 1 %. Each implementation of
the workload (benchmarks/workload: hand-written Python, framework-dsl's `evaluate` with and
without `explain=True` and prepared once (`RuleSet.evaluator`), zen-engine's compiled
expressions when it is installed, and the fused design written by hand,
`workload/fused_sketch.py`, a design measurement) runs in a child process under
`valgrind --tool=callgrind` twice: once evaluating no document and once evaluating
`--documents` of them, after the same set-up (loading the rules, generating every
document, ten warm-up evaluations). The difference, divided by the number of documents, is
what one evaluation costs, including freeing what it made. Outcomes are checked equal to
the hand-written ones first, as benchmarks/run.py does.

Instructions are not time: a cache miss or a branch mispredicted costs more than an add.
They are the number to compare two versions of the engine with; benchmarks/run.py gives the
wall-clock ratios the targets are stated in. Needs valgrind on the PATH
(`apt-get install valgrind`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

# name -> (workload module, implementation key in its IMPLEMENTATIONS)
IMPLEMENTATIONS: dict[str, tuple[str, str]] = {
    "hand-written Python: outcomes, reasons, inputs": ("handwritten", "hand-written Python: outcomes, reasons, inputs"),
    "framework-dsl: evaluate": ("engine", "framework-dsl: evaluate (outcomes, reasons, inputs)"),
    "framework-dsl: evaluator, prepared once": (
        "engine",
        "framework-dsl: evaluator, prepared once (outcomes, reasons, inputs)",
    ),
    "framework-dsl: evaluate, explain=True": ("engine", "framework-dsl: evaluate, explain=True (full trace)"),
    "zen-engine, compiled expressions": ("peer_zen", "zen-engine, compiled expressions"),
    # Not an engine: the workload written by hand as one fused generated function would
    # decide it (workload/fused_sketch.py), to measure that design before it is built.
    "fused by hand (design measurement)": (
        "fused_sketch",
        "framework-dsl, validation and decisions fused by hand (design measurement)",
    ),
}
BASELINE = "hand-written Python: outcomes, reasons, inputs"
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def child(module: str, key: str, count: int, pool: int) -> None:
    """Run in the measured process: set up, then evaluate `count` documents."""
    import importlib

    from workload import generate, handwritten

    implementation = importlib.import_module(f"workload.{module}")
    evaluate, outcomes = implementation.IMPLEMENTATIONS[key]()
    documents = generate.documents(pool)
    for document in documents[:10]:
        outcomes(evaluate(document))
    for document in documents[:count]:
        evaluate(document)
    del handwritten


def check(module: str, key: str, pool: int) -> None:
    """Every outcome equal to the hand-written one (outside valgrind)."""
    import importlib

    from workload import generate, handwritten

    evaluate, outcomes = importlib.import_module(f"workload.{module}").IMPLEMENTATIONS[key]()
    for document in generate.documents(pool):
        expected = handwritten.decide_outcomes(document)
        got = outcomes(evaluate(document))
        if tuple(got) != tuple(expected):
            raise SystemExit(f"{key}: {got} where hand-written Python gives {expected} on {document}")


def collected(module: str, key: str, count: int, pool: int) -> int:
    return callgrind_count([__file__, "--child", module, key, str(count), str(pool)], key)


def callgrind_count(arguments: list[str], what: str) -> int:
    """The instructions valgrind's callgrind counts in `python ARGUMENTS...` (`PYTHONHASHSEED=0`)."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *arguments]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed for {what}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=2000, help="documents evaluated in the measured run")
    parser.add_argument("--only", nargs="*", default=None, help="implementations to measure (substrings of names)")
    parser.add_argument("--output", type=Path, default=None, help="write the numbers as JSON here too")
    parser.add_argument("--child", nargs=4, metavar=("MODULE", "KEY", "COUNT", "POOL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        module, key, count, pool = args.child
        child(module, key, int(count), int(pool))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on the PATH (apt-get install valgrind)")
    rows: list[dict[str, Any]] = []
    for name, (module, key) in IMPLEMENTATIONS.items():
        if args.only and name != BASELINE and not any(part in name for part in args.only):
            continue
        try:
            check(module, key, args.documents)
        except ImportError as error:
            print(f"{name}: unavailable ({error})", file=sys.stderr)
            continue
        empty = collected(module, key, 0, args.documents)
        full = collected(module, key, args.documents, args.documents)
        per_document = (full - empty) / args.documents
        rows.append({"implementation": name, "instructions_per_document": round(per_document)})
        print(f"{name}: {per_document:,.0f} instructions per document", file=sys.stderr)
    base = next(row["instructions_per_document"] for row in rows if row["implementation"] == BASELINE)
    width = max(len(row["implementation"]) for row in rows)
    print(f"\n{'implementation':{width}}  instructions/document  ratio")
    for row in rows:
        row["ratio"] = round(row["instructions_per_document"] / base, 2)
        print(f"{row['implementation']:{width}}  {row['instructions_per_document']:>21,}  {row['ratio']:.2f}×")
    if args.output:
        report = {
            "date": datetime.date.today().isoformat(),
            "python": sys.version.split()[0],
            "documents": args.documents,
            "rows": rows,
        }
        args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
