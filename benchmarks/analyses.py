"""How long the analyses take: `whatif` on one document, and `diff` throughput with --jobs 1 and 2.

    python benchmarks/analyses.py [--documents N] [--repeats N] [--output FILE]

Nothing here asserts a speed (this is not a test). It measures, on the bundled rules:

- **whatif**: `what_if(rules, evidence, "overall")` in-process for a few CQC examples
  (best of `--repeats`), with the number of variants each evaluates; the short form the
  HTML report uses, `what_would_change` (every judgement at once); and the whole
  command, `framework-dsl whatif FILE overall --format json`, wall time and peak memory.
- **diff**: `framework-dsl diff --before rules --after NEXT CORPUS.jsonl --format jsonl`
  with `--jobs 1` and `--jobs 2`, where NEXT is a copy of the bundled rules with one
  threshold moved (`recommendations > 0` to `> 20` in clas, and the CQC ASC-R5 count
  `n_requires_improvement >= 2` to `>= 3`), and CORPUS the bundled examples repeated to
  `--documents` lines. It reports documents per second and the peak memory of the
  largest process, and checks that both runs print the same bytes.

The machine is shared: read the numbers with the load average printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
WHATIF_FILES = ["worked-2-safe-and-well-led-ri.json", "typical.json", "undetermined.json"]


def _command(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def _child_peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def _timed(argv: list[str], stdout: Any = subprocess.DEVNULL) -> tuple[float, int, int]:
    """Wall seconds, exit status and the peak memory (KB) of the largest child so far."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=stdout, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, done.returncode, _child_peak_kb()


def bench_whatif(repeats: int) -> dict[str, Any]:
    from framework_dsl import load_rules
    from framework_dsl.whatif import what_if, what_would_change

    rules = load_rules()
    rows = []
    for name in WHATIF_FILES:
        path = REPO / "examples" / "cqc" / name
        evidence = json.loads(path.read_text(encoding="utf-8"))
        what_if(rules, evidence, "overall")  # compiled on first use: not timed
        best = short_best = float("inf")
        variants = short_variants = 0
        for _ in range(repeats):
            start = time.perf_counter()
            answer = what_if(rules, evidence, "overall")
            best = min(best, time.perf_counter() - start)
            variants = answer.evaluations
            start = time.perf_counter()
            short = what_would_change(rules, evidence)
            short_best = min(short_best, time.perf_counter() - start)
            short_variants = max((a.evaluations for a in short.values()), default=0)
        argv = [_command("framework-dsl"), "whatif", str(path), "overall", "--format", "json"]
        _timed(argv)  # the rules into the per-user cache
        wall = min(_timed(argv)[0] for _ in range(repeats))
        rows.append(
            {
                "file": name,
                "variants": variants,
                "what_if_s": round(best, 4),
                "short_form_variants": short_variants,
                "what_would_change_s": round(short_best, 4),
                "command_wall_s": round(wall, 3),
            }
        )
    return {"rows": rows, "command_peak_kb": _child_peak_kb()}


def _next_rules(into: Path) -> Path:
    target = into / "rules-next"
    shutil.copytree(REPO / "rules", target)
    for relative, old, new in (
        ("clas/clas.fw", "recommendations > 0", "recommendations > 20"),
        (
            "cqc/cqc.fw",
            "improvement when n_requires_improvement >= 2",
            "improvement when n_requires_improvement >= 3",
        ),
    ):
        path = target / relative
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise SystemExit(f"{relative}: `{old}` not found; update benchmarks/analyses.py")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def _corpus(into: Path, documents: int) -> Path:
    lines = [
        json.dumps(json.loads(p.read_text(encoding="utf-8")))
        for p in sorted((REPO / "examples").glob("*/*.json"))
        if not p.stem.startswith("invalid")
    ]
    path = into / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for index in range(documents):
            out.write(lines[index % len(lines)] + "\n")
    return path


def bench_diff(documents: int, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        after = _next_rules(base)
        corpus = _corpus(base, documents)
        rows = []
        outputs = {}
        for jobs in (1, 2):
            argv = [_command("framework-dsl"), "diff", "--before", str(REPO / "rules"), "--after", str(after)]
            argv += [str(corpus), "--format", "jsonl", "--jobs", str(jobs)]
            best = float("inf")
            for _ in range(repeats):
                out = base / f"out-{jobs}.jsonl"
                with out.open("wb") as handle:
                    wall, code, _ = _timed(argv, stdout=handle)
                if code not in (0, 1):
                    raise SystemExit(f"diff --jobs {jobs} exited {code}")
                best = min(best, wall)
            outputs[jobs] = (base / f"out-{jobs}.jsonl").read_bytes()
            rows.append(
                {
                    "jobs": jobs,
                    "documents": documents,
                    "wall_s": round(best, 2),
                    "documents_per_s": round(documents / best),
                    "changed": json.loads(outputs[jobs].splitlines()[-1])["summary"]["changed"],
                }
            )
        return {"rows": rows, "same_output": outputs[1] == outputs[2], "peak_kb_largest_process": _child_peak_kb()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=20_000, help="diff corpus size (default 20,000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each; the best is kept (default 3)")
    parser.add_argument("--output", type=Path, default=None, help="also write the numbers here as JSON")
    args = parser.parse_args()
    report = {
        "load_average_start": os.getloadavg(),
        "whatif": bench_whatif(args.repeats),
        "diff": bench_diff(args.documents, args.repeats),
        "load_average_end": os.getloadavg(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    print("whatif overall (bundled cqc), best of", args.repeats)
    print(f"  {'file':<36} {'variants':>8} {'what_if':>9} {'short form':>10} {'(variants)':>10} {'command':>8}")
    for row in report["whatif"]["rows"]:
        print(
            f"  {row['file']:<36} {row['variants']:>8} {row['what_if_s']:>8.3f}s "
            f"{row['what_would_change_s']:>9.3f}s {row['short_form_variants']:>10} {row['command_wall_s']:>7.2f}s"
        )
    print(f"  command peak memory: {report['whatif']['command_peak_kb'] / 1024:.0f} MB")
    print(f"diff, {args.documents:,} documents (.jsonl in, jsonl out), best of {args.repeats}")
    for row in report["diff"]["rows"]:
        print(
            f"  --jobs {row['jobs']}: {row['wall_s']:.2f} s, {row['documents_per_s']:,} documents/s, "
            f"{row['changed']:,} changed"
        )
    print(f"  same output with --jobs 1 and 2: {report['diff']['same_output']}")
    print(f"  peak memory of the largest process: {report['diff']['peak_kb_largest_process'] / 1024:.0f} MB")
    print(f"load average: {report['load_average_start']} at the start, {report['load_average_end']} at the end")
    if args.output is not None:
        args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["diff"]["same_output"] else 1


if __name__ == "__main__":
    sys.exit(main())
