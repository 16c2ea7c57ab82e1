"""The real decision service, started as its own process on 127.0.0.1, for tests to call over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLES = REPO / "examples"
START = "from framework_dsl.cli.dsl import main_dsl; main_dsl()"


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServiceProcess:
    """`framework-dsl serve` in a child process, and an HTTP client for it."""

    def __init__(self, *options: str, admin: bool = False, log: Path | None = None, port: int | None = None) -> None:
        self.port = free_port() if port is None else port
        self.admin_port = free_port() if admin else None
        self.log = log
        self._stopped: tuple[int, str] | None = None
        command = [sys.executable, "-c", START, "serve", "--port", str(self.port), *options]
        if self.admin_port is not None:
            command += ["--admin-port", str(self.admin_port)]
        if log is not None:
            command += ["--decision-log", str(log)]
        env = {**os.environ, "FRAMEWORK_DSL_NO_CACHE": "1"}
        # Standard error goes to a file, so a test can read what the service said while it runs.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._stderr, env=env)
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.url, timeout=60)
        self._wait_ready()

    def _wait_ready(self) -> None:
        # Polled until it answers: starting means checking and compiling the rules.
        for _ in range(600):
            if self.process.poll() is not None:
                raise RuntimeError(f"the service stopped: {self.stderr_text()}")
            try:
                if self.client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the service did not become ready")

    def admin(self) -> httpx.Client:
        """A client for the admin port."""
        assert self.admin_port is not None
        return httpx.Client(base_url=f"http://127.0.0.1:{self.admin_port}", timeout=60)

    def signal(self, sig: signal.Signals) -> None:
        """Send `sig` to the service process."""
        self.process.send_signal(sig)

    def stderr_text(self) -> str:
        """What the service has written on standard error so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def wait_for_stderr(self, text: str) -> None:
        """Wait until the service has said `text` on standard error."""
        for _ in range(600):
            if text in self.stderr_text():
                return
            time.sleep(0.05)
        raise AssertionError(f"the service never said {text!r}: {self.stderr_text()}")

    def stop(self) -> tuple[int, str]:
        """SIGTERM, then wait: (exit status, standard error). Stopping again gives the same."""
        if self._stopped is not None:
            return self._stopped
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._stopped = (self.process.returncode, self.stderr_text())
        self._stderr.close()
        return self._stopped


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The service on the bundled rules with a decision log, shared by a module's tests."""
    log = tmp_path_factory.mktemp("service") / "decisions.jsonl"
    running = ServiceProcess(log=log)
    yield running
    running.stop()


@pytest.fixture
def start_service() -> Iterator[Callable[..., ServiceProcess]]:
    """Start services of one's own (`start_service(*options, admin=, log=, port=)`); each is stopped at the end."""
    started: list[ServiceProcess] = []

    def start(*options: str, admin: bool = False, log: Path | None = None, port: int | None = None) -> ServiceProcess:
        running = ServiceProcess(*options, admin=admin, log=log, port=port)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
