"""Render a benchmark report as the Markdown section that README.md and benchmarks/README.md show.

    python benchmarks/markdown.py [benchmarks/results/report.json]

The tables in the READMEs are this script's output for the committed report, pasted
as it prints them, so every number there can be traced to `report.json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_REPORT = Path(__file__).resolve().parent / "results" / "report.json"


def _number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or (isinstance(value, float) and value >= 1000):
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _paired(row: dict[str, Any]) -> str:
    """The median ratio over the paired rounds and its range, or a dash where they did not run."""
    if "paired_ratio" not in row:
        return "—"
    return f"{row['paired_ratio']:.2f} ({row['paired_ratio_least']:.2f}–{row['paired_ratio_greatest']:.2f})"


def render(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [
        f"Run on {machine['date']}: {machine['cpu_model']}, {machine['nproc']} cores, Python {machine['python']}, "
        f"framework-dsl {machine['framework_dsl']} (commit {machine['git_commit'][:10]}); "
        f"`{report['command']}`; load average {machine['load_average_1m_at_start']} at the start, "
        f"{machine.get('load_average_1m_at_end', '?')} at the end; {report['total_s']:.0f} s in all.",
        "",
    ]
    workload = report.get("workload")
    if workload and "results" in workload:
        lines += [
            f"**Workload** ({workload['documents']:,} documents, best of {workload['repeats']}, per evaluation; "
            "ratio to hand-written Python with outcomes, reasons and inputs; the paired ratio is the median, "
            f"and range, over {workload.get('paired_rounds', 0)} rounds in which each implementation the targets "
            "compare made one pass, which the targets use):",
            "",
            "| implementation | µs per evaluation | evaluations/s | ratio (wall) | ratio (CPU) | ratio (paired) |",
            "|---|---|---|---|---|---|",
        ]
        for row in workload["results"]:
            if row.get("status") != "ok":
                lines.append(f"| {row['name']} | — | — | {row.get('status', 'not run')} | | |")
                continue
            passes = "" if row.get("timed_runs", 2) > 1 else " (1 checked pass)"
            lines.append(
                f"| {row['name']}{passes} | {_number(row['us_per_eval'])} | {_number(row['evals_per_s'], 0)} | "
                f"{_number(row['ratio'])} | {_number(row['cpu_ratio'])} | {_paired(row)} |"
            )
        lines.append("")
    cqc = report.get("cqc")
    if cqc and "jobs_1" in cqc:
        one, two = cqc["jobs_1"], cqc["jobs_2"]
        lines += [
            f"**{cqc['framework']} end to end** ({cqc['documents']:,} documents, `.jsonl` in, JSON Lines out, "
            "best of 3 wall times):",
            "",
            "| | documents/s | documents/s per core | CPU s | documents/CPU-s | one document (s) |",
            "|---|---|---|---|---|---|",
            f"| `--jobs 1` | {_number(one['docs_per_s'])} | {_number(one['docs_per_s_per_core'])} | "
            f"{_number(one['cpu_s'])} | {_number(one['docs_per_cpu_s'])} | {_number(one['one_document_s'])} |",
            f"| `--jobs 2` | {_number(two['docs_per_s'])} | {_number(two['docs_per_s_per_core'])} | "
            f"{_number(two['cpu_s'])} | {_number(two['docs_per_cpu_s'])} | {_number(two['one_document_s'])} |",
            "",
            f"`--jobs 2` ÷ `--jobs 1` throughput: {cqc['jobs2_speedup']}×."
            + (
                f" For comparison on the same machine: two independent `framework-check` processes, each"
                f" on half the file, {cqc['independent_halves']['speedup']}× `--jobs 1`; two copies of a"
                f" CPU-bound pure-Python loop, {cqc['parallel_ceiling']['speedup']}× one copy."
                if "parallel_ceiling" in cqc and "independent_halves" in cqc
                else ""
            ),
            "",
        ]
    startup = report.get("startup")
    if startup and "ratio" in startup:
        lines += [
            f"**Start-up** (median of {startup['runs']}): `{startup['command']}` {startup['median_s']} s against "
            f"`{startup['baseline_command']}` {startup['baseline_median_s']} s: {startup['ratio']}× "
            f"(CPU {startup['cpu_ratio']}×)"
            + (
                f"; with the per-user cache off (`FRAMEWORK_DSL_NO_CACHE=1`, a fresh container) "
                f"{startup['no_cache_median_s']} s: {startup['no_cache_ratio']}×"
                if "no_cache_ratio" in startup
                else ""
            )
            + (
                f"; with neither the cache nor the wheel's precompiled bundle "
                f"{startup['no_cache_no_bundle_median_s']} s: {startup['no_cache_no_bundle_ratio']}×"
                if "no_cache_no_bundle_ratio" in startup
                else ""
            )
            + ".",
            "",
        ]
    memory = report.get("memory")
    if memory and "sizes" in memory:
        sizes = "; ".join(
            f"{s['documents']:,} documents {s['max_rss_mib']} MiB peak"
            + (f" ({s['docs_per_s']:,.0f} documents/s)" if s.get("docs_per_s") else "")
            for s in memory["sizes"]
        )
        lines += [f"**Streaming memory** (`{memory['command']}`): {sizes}: ratio {memory['ratio']}.", ""]
    targets = report.get("targets")
    if targets:
        lines += ["| target | measured | goal | |", "|---|---|---|---|"]
        for target in targets:
            lines.append(
                f"| {target['target']} | {target['value']} | {target['goal']} | "
                + {True: "met |", False: "NOT met |", None: "does not apply |"}[target["met"]]
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REPORT
    sys.stdout.write(render(json.loads(path.read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
