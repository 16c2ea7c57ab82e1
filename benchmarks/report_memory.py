"""Peak memory of an HTML (or Markdown) batch report against the number of documents.

    python benchmarks/report_memory.py [--sizes 10000 1000000] [--format html] [--workdir DIR]

For each size, writes a `.jsonl` of that many CQC documents (the bundled examples, in
turn: typical, undetermined, invalid, not in force, ...), runs

    /usr/bin/time -v framework-check FILE.jsonl --format html --output REPORT --jobs 1

and prints the peak resident set size (`Maximum resident set size`), the wall time and
the size of the report. The report and the input are deleted after each size (a
1,000,000-document HTML report is many gigabytes). Nothing here asserts anything: it
measures (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_jsonl(path: Path, count: int) -> int:
    """`count` documents, the CQC examples in turn, one per line; the file's size."""
    pool = [
        json.dumps(json.loads(p.read_text(encoding="utf-8")))
        for p in sorted((REPO / "examples" / "cqc").glob("*.json"))
    ]
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            out.write(pool[number % len(pool)])
            out.write("\n")
    return path.stat().st_size


def framework_check() -> str:
    beside = Path(sys.executable).with_name("framework-check")
    found = str(beside) if beside.exists() else shutil.which("framework-check")
    if found is None:
        raise SystemExit("framework-check is not installed beside this Python nor on PATH")
    return found


def measure(count: int, output_format: str, workdir: Path) -> dict[str, object]:
    source = workdir / f"cqc-{count}.jsonl"
    report = workdir / f"report-{count}.{output_format}"
    input_bytes = write_jsonl(source, count)
    timing_file = workdir / "time.txt"
    argv = ["/usr/bin/time", "-v", "-o", str(timing_file), framework_check(), str(source), "--format", output_format]
    argv += ["--output", str(report), "--jobs", "1"]
    # Standard error (the invalid documents' problems) is thrown away, not held here.
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    timing = timing_file.read_text(encoding="utf-8")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing)[1])  # type: ignore[index]
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", timing)[1]  # type: ignore[index]
    row = {
        "documents": count,
        "input_bytes": input_bytes,
        "exit_code": done.returncode,
        "max_rss_kib": rss,
        "wall": wall,
        "user_s": float(re.search(r"User time \(seconds\): ([\d.]+)", timing)[1]),  # type: ignore[index]
        "report_bytes": report.stat().st_size if report.exists() else None,
    }
    source.unlink()
    report.unlink(missing_ok=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--format", dest="output_format", choices=("html", "markdown"), default="html")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where the input and report go (default: a temporary folder)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as work:
        rows = []
        for count in args.sizes:
            row = measure(count, args.output_format, Path(work))
            rows.append(row)
            print(json.dumps(row), flush=True)
    first, last = int(str(rows[0]["max_rss_kib"])), int(str(rows[-1]["max_rss_kib"]))
    small, large = rows[0]["documents"], rows[-1]["documents"]
    print(f"peak RSS {first:,} KiB at {small:,} documents, {last:,} KiB at {large:,}: ratio {last / first:.3f}")


if __name__ == "__main__":
    main()
