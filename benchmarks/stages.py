"""Where a fused evaluation's instructions go: the workload's fused function cut after each stage.

    python benchmarks/stages.py [--documents 2000] [--output FILE.json]

`benchmarks/instructions.py` says what one evaluation costs; this says which part of the
generated code costs it. The workload's fused function (`engine.fusion`: the
compiled validator, the date settled, each decision inlined, the result built) is
generated as `RuleSet.evaluate` generates it, then compiled again several times, each
copy stopping (`return None`) after one more of its stages:

    called       the function entered, nothing done (the call itself and the harness loop)
    validated    the compiled validator's checks and conversions
    settled      the evaluation date settled and the framework's dates tested (`fusion.settle`)
    <decision>   each judgement and check, in the order they are decided
    result       the `Result` built and returned: the whole function

Each copy is compiled through the same allow-list walk as the real one
(`safety.compile_checked`) and loaded with the real helpers and constants. Each runs in a
child process under `valgrind --tool=callgrind`, evaluating no document and then
`--documents` of them (as `instructions.py` does); a stage's cost is the difference
between its cut and the one before. The whole function's results are checked equal to
`RuleSet.evaluate`'s (`to_dict`, every document) before anything is counted.

A cut is not free of what follows it: a local set and never read is still set, and
whatever a later stage would have freed is freed on return instead. The numbers are
each stage's share to within a few hundred instructions, which is what they are for:
seeing which stage to work on. Needs valgrind on the PATH.
"""

from __future__ import annotations

import argparse
import ast
import copy
import datetime
import json
import marshal
import shutil
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
RULES = BENCH / "workload"  # workload.fw, whose documents workload/generate.py makes
AS_OF = datetime.date(2019, 3, 1)

from instructions import callgrind_count  # noqa: E402  (needs the path above)


def _fused() -> tuple[Any, Any, ast.Module, Any, list[str]]:
    """(rule set, framework, the fused module, its program, the decisions' names in order)."""
    import framework_dsl
    from framework_dsl.engine import fusion

    rules = framework_dsl.load_rules(RULES)
    (name,) = rules.frameworks
    framework = rules.framework(name)
    made = fusion.fused_program(framework, rules.compiled(name), rules.digest)
    if made is None:
        raise SystemExit(f"{name} has no fused function (engine/fusion.py says which frameworks do)")
    tree, program = made
    names = [decision.name for decision in (*framework.judgements, *framework.checks)]
    return rules, framework, tree, program, names


def cuts(tree: ast.Module, names: list[str]) -> list[tuple[str, int | None]]:
    """(stage, index in the fused function's body after which it stops; None: the whole)."""
    function = _function(tree)
    body = function.body
    checked = next(i for i, s in enumerate(body) if isinstance(s, ast.Try))
    settled = next(i for i, s in enumerate(body) if i > checked and isinstance(s, ast.If))
    decisions = [i for i, s in enumerate(body) if isinstance(s, ast.For | ast.While)]  # one one-pass loop a decision
    if len(decisions) != len(names):
        raise SystemExit("the fused function's layout is not the one this script knows (engine/fusion.py)")
    stages: list[tuple[str, int | None]] = [("called", -1), ("validated", checked), ("settled", settled)]
    stages += list(zip(names, decisions, strict=True))
    stages.append(("result", None))
    return stages


def _function(tree: ast.Module) -> ast.FunctionDef:
    (factory,) = tree.body
    assert isinstance(factory, ast.FunctionDef)
    inner = [s for s in factory.body if isinstance(s, ast.FunctionDef)]
    assert len(inner) == 1
    return inner[0]


def load_cut(tree: ast.Module, program: Any, stop: int | None) -> Any:
    """The fused function, stopping after body statement `stop` (None: the whole of it)."""
    from framework_dsl.engine import fusion
    from framework_dsl.engine.builder import Program
    from framework_dsl.engine.safety import compile_checked

    if stop is None:
        (whole,) = program.load(fusion.helpers())
        return whole
    cut = copy.deepcopy(tree)
    function = _function(cut)
    function.body.insert(stop + 1, ast.Return(value=ast.Constant(value=None)))
    ast.fix_missing_locations(cut)
    code = compile_checked(cut, "stage cut", fusion.helpers())
    (stopped,) = Program(marshal.dumps(code), program.used, program.constants).load(fusion.helpers())
    return stopped


def child(stage: str, count: int, pool: int) -> None:
    """Run in the measured process: set up, then call the cut function on `count` documents."""
    from workload import generate

    from framework_dsl.evidence import DEFAULT_LIMITS

    rules, _, tree, program, names = _fused()
    stop = dict(cuts(tree, names))[stage]
    decide = load_cut(tree, program, stop)
    documents = generate.documents(pool)
    max_text, max_items, clock = DEFAULT_LIMITS.max_text, DEFAULT_LIMITS.max_items, rules.clock
    for document in documents[:10]:
        decide(document, max_text, max_items, AS_OF, clock, None, document.get("subject"), None)
    for document in documents[:count]:
        decide(document, max_text, max_items, AS_OF, clock, None, None, None)


def check(pool: int) -> None:
    """The whole fused function gives `RuleSet.evaluate`'s result on every document."""
    from workload import generate

    from framework_dsl.evidence import DEFAULT_LIMITS

    rules, framework, tree, program, _ = _fused()
    decide = load_cut(tree, program, None)
    limits = DEFAULT_LIMITS
    for document in generate.documents(pool):
        got = decide(document, limits.max_text, limits.max_items, AS_OF, rules.clock, None, None, None)
        expected = rules.evaluate(document, as_of=AS_OF, framework=framework.name)
        if got is None or got.to_dict() != expected.to_dict():
            raise SystemExit(f"the fused function differs from RuleSet.evaluate on {document}")


def collected(stage: str, count: int, pool: int) -> int:
    return callgrind_count([__file__, "--child", stage, str(count), str(pool)], f"stage {stage}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=2000, help="documents evaluated in each measured run")
    parser.add_argument("--output", type=Path, default=None, help="write the numbers as JSON here too")
    parser.add_argument("--child", nargs=3, metavar=("STAGE", "COUNT", "POOL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, count, pool = args.child
        child(stage, int(count), int(pool))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on the PATH (apt-get install valgrind)")
    check(args.documents)
    _, _, tree, _, names = _fused()
    rows: list[dict[str, Any]] = []
    before = 0.0
    for stage, _ in cuts(tree, names):
        empty = collected(stage, 0, args.documents)
        full = collected(stage, args.documents, args.documents)
        reached = (full - empty) / args.documents
        rows.append({"stage": stage, "cumulative": round(reached), "stage_cost": round(reached - before)})
        print(f"{stage}: {reached:,.0f} instructions per document so far", file=sys.stderr)
        before = reached
    width = max(len(row["stage"]) for row in rows)
    total = rows[-1]["cumulative"]
    print(f"\n{'stage':{width}}  instructions  share  cumulative")
    for row in rows:
        share = row["stage_cost"] / total if total else 0.0
        print(f"{row['stage']:{width}}  {row['stage_cost']:>12,}  {share:5.0%}  {row['cumulative']:>10,}")
    if args.output:
        report = {"python": sys.version.split()[0], "documents": args.documents, "rows": rows}
        args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
