"""`--output` targets: only a regular file or a new path is ever replaced, an input never.

A device node, a named pipe, a folder and a symbolic link are refused before anything
is evaluated (exit 2, the target untouched), as is an evidence file or a rule file of
the run. A read-only folder and a full disk are exit 2 with the old report intact: they
run in a private mount namespace (`unshare`) on a small tmpfs of their own, never on the
machine's own devices, and are skipped where that is not permitted. Workers reopen the
temporary report with `O_NOFOLLOW` and only if it is the very file the parent holds.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from framework_dsl import RuleSet
from framework_dsl.cli import framework_check
from framework_dsl.inputs import EvidenceInput
from framework_dsl.parallel import WorkerStopped, _place_all, evaluate_parallel

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2020-06-30"
DOCUMENT = {"framework": "t", "n": 3}
RULES = """\
framework t "T"
  effective from 2014-01-01
evidence:
  n: integer "n"
judgement j: boolean
  otherwise true because "n is {n}"
"""
CHECK = [sys.executable, "-c", "from framework_dsl.cli.check import main_check; main_check()"]


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "t.fw").write_text(RULES, encoding="utf-8")
    evidence = tmp_path / "in.json"
    evidence.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    return {"rules": rules, "evidence": evidence, "tmp": tmp_path}


def _check(setup: dict[str, Path], output: Path, *more: str) -> Any:
    arguments = ["--rules", str(setup["rules"]), str(setup["evidence"]), *more, "--as-of", AS_OF]
    return CliRunner().invoke(framework_check, [*arguments, "--output", str(output), "--quiet"])


def _kind(path: Path) -> tuple[int, bytes | str | None]:
    status = path.lstat()
    if stat.S_ISLNK(status.st_mode):
        return stat.S_IFMT(status.st_mode), str(path.readlink())
    if stat.S_ISREG(status.st_mode):
        return stat.S_IFMT(status.st_mode), path.read_bytes()
    return stat.S_IFMT(status.st_mode), None


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "link", "dangling-link"])
def test_an_output_that_is_not_a_regular_file_is_refused_and_left_alone(
    setup: dict[str, Path], kind: str, jobs: str
) -> None:
    """A named pipe (never opened, so nothing blocks), a device node of our own, a folder or a link: exit 2."""
    target = setup["tmp"] / "target"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        try:  # a node of our own for the null device, in the test's folder: never the machine's /dev
            os.mknod(target, stat.S_IFCHR | 0o600, os.makedev(1, 3))
        except (PermissionError, AttributeError, OSError):
            pytest.skip("device nodes cannot be made here")
    elif kind == "folder":
        target.mkdir()
    elif kind == "link":
        (setup["tmp"] / "real.json").write_text("old report", encoding="utf-8")
        target.symlink_to(setup["tmp"] / "real.json")
    else:
        target.symlink_to(setup["tmp"] / "nowhere.json")
    before = _kind(target)
    outcome = _check(setup, target, "--jobs", jobs)
    assert outcome.exit_code == 2, outcome.output
    assert "will not write the report" in outcome.output or "is a directory" in outcome.output  # click's own check
    assert _kind(target) == before
    assert not (setup["tmp"] / "nowhere.json").exists()
    if kind == "link":
        assert (setup["tmp"] / "real.json").read_text(encoding="utf-8") == "old report"
    assert [p.name for p in setup["tmp"].iterdir() if p.name.endswith(".tmp")] == []


def test_an_output_that_is_an_input_is_refused(setup: dict[str, Path]) -> None:
    """The evidence file itself, a `.json` file in an evidence folder, a rule file: exit 2, each unchanged."""
    evidence = setup["evidence"]
    original = evidence.read_bytes()
    outcome = _check(setup, evidence)
    assert outcome.exit_code == 2 and "evidence this run reads" in outcome.output
    assert evidence.read_bytes() == original
    # The same file by another name (a hard link) is the same input.
    twin = setup["tmp"] / "twin.json"
    os.link(evidence, twin)
    assert _check(setup, twin).exit_code == 2
    assert evidence.read_bytes() == original
    folder = setup["tmp"] / "batch"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(DOCUMENT), encoding="utf-8")
    arguments = ["--rules", str(setup["rules"]), str(folder), "--as-of", AS_OF, "--output"]
    outcome = CliRunner().invoke(framework_check, [*arguments, str(folder / "a.json")])
    assert outcome.exit_code == 2 and "an input of this run" in outcome.output
    rule_file = setup["rules"] / "t.fw"
    assert _check(setup, rule_file).exit_code == 2
    assert rule_file.read_text(encoding="utf-8") == RULES


def test_a_new_path_and_a_regular_file_are_written(setup: dict[str, Path]) -> None:
    """The ordinary cases still work: a new report, then the same report replaced."""
    target = setup["tmp"] / "report.json"
    for _ in range(2):
        outcome = _check(setup, target)
        assert outcome.exit_code == 0, outcome.output
        assert json.loads(target.read_text(encoding="utf-8"))["status"] == "evaluated"


def _in_private_tmpfs(script: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` (sh) in a private mount namespace where `$MNT` is a 64 KiB tmpfs of its own."""
    unshare = shutil.which("unshare")
    if unshare is None or not sys.platform.startswith("linux"):
        pytest.skip("needs unshare (Linux)")
    mount = tmp / "mnt"
    mount.mkdir()
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"MNT": str(mount)}
    probe = subprocess.run(
        [unshare, "--mount", "--map-root-user", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$MNT"'],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    if probe.returncode != 0:
        pytest.skip(f"a private mount namespace is not permitted here: {probe.stderr.strip()}")
    return subprocess.run(
        [unshare, "--mount", "--map-root-user", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$MNT" && ' + script],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        timeout=300,
    )


def _command(setup: dict[str, Path], evidence: Path, output: str, *more: str) -> str:
    words = [*CHECK, "--rules", str(setup["rules"]), str(evidence), "--as-of", AS_OF, "--quiet", *more]
    return " ".join(f"'{word}'" for word in [*words, "--output", output])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_is_exit_2_and_keeps_the_old_report(setup: dict[str, Path], jobs: str) -> None:
    """A report bigger than a 64 KiB tmpfs: exit 2 with `No space left`, the old report intact, no temporary file."""
    batch = setup["tmp"] / "batch.jsonl"
    batch.write_text((json.dumps(DOCUMENT) + "\n") * 2000, encoding="utf-8")
    script = (
        'printf "old report" > "$MNT/report.json" && '
        + _command(setup, batch, "$MNT/report.json", "--jobs", jobs)
        + '; echo "exit=$?"; cat "$MNT/report.json"; echo; ls -A "$MNT"'
    )
    run = _in_private_tmpfs(script.replace("'$MNT/report.json'", '"$MNT/report.json"'), setup["tmp"])
    assert "exit=2" in run.stdout, run.stdout + run.stderr
    assert "No space left" in run.stderr and "Traceback" not in run.stderr
    assert "old report" in run.stdout
    assert run.stdout.split()[-1] == "report.json"  # nothing else left in the folder


def test_a_read_only_folder_is_exit_2_and_keeps_the_old_report(setup: dict[str, Path]) -> None:
    """A folder on a read-only mount (root may write anywhere else): exit 2, the old report intact."""
    script = (
        'printf "old report" > "$MNT/report.json" && mount -o remount,ro "$MNT" && '
        + _command(setup, setup["evidence"], "$MNT/report.json")
        + '; echo "exit=$?"; cat "$MNT/report.json"'
    )
    run = _in_private_tmpfs(script.replace("'$MNT/report.json'", '"$MNT/report.json"'), setup["tmp"])
    assert "exit=2" in run.stdout, run.stdout + run.stderr
    assert "read-only" in run.stderr and "Traceback" not in run.stderr
    assert run.stdout.rstrip().endswith("old report")


class _Places:
    """The parent's side of a worker's places pipe, as a list."""

    def __init__(self, places: list[Any]) -> None:
        self.places = [*places, None]

    def recv(self) -> Any:
        return self.places.pop(0)


def test_a_worker_never_reopens_the_report_through_a_link_or_another_file(tmp_path: Path) -> None:
    """`_place_all` opens with `O_NOFOLLOW` and checks the file is the parent's (device and inode)."""
    report = tmp_path / ".report.json.tmp"
    report.write_bytes(b"\0" * 8)
    status = report.stat()
    identity = (status.st_dev, status.st_ino)
    link = tmp_path / "link"
    link.symlink_to(report)
    other = tmp_path / "other"
    other.write_bytes(b"\0" * 8)
    for path, expected in ((report, b"data\0\0\0\0"), (link, None), (other, None)):
        report.write_bytes(b"\0" * 8)
        outbox: queue.SimpleQueue[tuple[int, bytes]] = queue.SimpleQueue()
        outbox.put((0, b"data"))
        failure: list[Exception] = []
        _place_all(_Places([(0, str(path), 0, identity)]), outbox, failure)
        if expected is None:
            assert failure and isinstance(failure[0], OSError)
            assert report.read_bytes() == b"\0" * 8 and other.read_bytes() == b"\0" * 8
        else:
            assert failure == [] and report.read_bytes() == expected


def test_a_killed_worker_says_which_input_it_held(
    bundled: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:  # a forked worker inherits the patch
    """A worker killed by a signal: `WorkerStopped` (exit 4) naming the signal and the input, not a bare error."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs fork")
    from framework_dsl import parallel

    real_work = parallel._work

    def work(rule_set: RuleSet, options: tuple[Any, ...], unit: Any) -> Any:
        if any(getattr(item, "source", "") == "doomed.json" for item in unit):
            os.kill(os.getpid(), signal.SIGKILL)
        return real_work(rule_set, options, unit)

    monkeypatch.setattr(parallel, "_work", work)
    inputs = [EvidenceInput(name, json.dumps({"framework": "x"}).encode()) for name in ("a.json", "doomed.json")]
    with pytest.raises(WorkerStopped) as stopped:
        list(
            evaluate_parallel(
                (),
                inputs,
                rule_set=bundled,
                as_of=None,
                framework=None,
                explain=False,
                jobs=2,
                output_format="json",
                ranks={},
                per_unit=1,
            )
        )
    assert stopped.value.exit_code == 4
    assert "killed by signal 9" in stopped.value.message and "doomed.json" in stopped.value.message
