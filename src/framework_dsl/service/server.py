"""Running the service: uvicorn on the main port (and the admin port), signals, shutdown.

- The rules are checked and compiled once, before the first request (`RuleSet.prepare`).
- SIGHUP reopens the decision log (for log rotation) and reloads the rules (as
  `POST /admin/reload` on the admin port does): the new rules
  are checked and compiled first, then swapped in whole; rules that fail to check are
  refused, their diagnostics logged, and the old ones keep serving.
- SIGTERM or SIGINT stops gracefully: no new connections, requests in flight finish
  (and their decision-log lines are written), then the log is flushed and closed. A
  second SIGINT stops at once.

One process evaluates on one core (the engine is Python, and holds the GIL while it
evaluates); for more cores run several processes (docs/service.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator

import uvicorn

from framework_dsl.diagnostics import render_all_text
from framework_dsl.service.app import Service, create_admin_app, create_app
from framework_dsl.service.config import ServiceConfig
from framework_dsl.service.decision_log import DecisionLog
from framework_dsl.service.state import RulesHolder, engine_version

logger = logging.getLogger("framework_dsl.service")


class _Server(uvicorn.Server):
    """uvicorn's server with the signals left to `run_service`, which stops both servers together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _reusable_socket(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port) that other processes may open too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _reload_and_report(service: Service) -> None:
    if service.log is not None:
        try:
            service.log.reopen()
        except OSError as error:  # the old file stays in use
            logger.error("SIGHUP: cannot reopen the decision log %s: %s", service.log.path, error)
    outcome = service.holder.reload()
    if outcome.accepted:
        logger.info("SIGHUP: reloaded the rules: %s (was %s)", outcome.digest, outcome.previous)
    else:
        logger.error(
            "SIGHUP: refused the new rules, still serving %s:\n%s",
            outcome.digest,
            render_all_text(list(outcome.errors)).rstrip(),
        )


def run_service(
    config: ServiceConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8181,
    admin_port: int | None = None,
    access_log: bool = False,
    reuse_port: bool = False,
) -> int:
    """Serve until SIGTERM or SIGINT; the exit status (2: the rules do not check).

    With `reuse_port`, the listening socket is opened with SO_REUSEPORT, so several
    service processes can listen on the same port and the kernel spreads connections
    between them: the way to use more than one core.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s", stream=sys.stderr)
    holder, diagnostics = RulesHolder.load(config.rules, config.limits)
    if holder is None:
        sys.stderr.write(render_all_text(diagnostics))
        return 2
    log = DecisionLog(config.decision_log, engine_version()) if config.decision_log else None
    service = Service(holder, config, log)
    # Requests in flight get the time limit of a request to finish, and a little more.
    grace = int(config.timeout) + 5
    servers = [
        _Server(
            uvicorn.Config(
                create_app(service),
                host=host,
                port=port,
                lifespan="off",
                access_log=access_log,
                timeout_graceful_shutdown=grace,
                log_config=None,
            )
        )
    ]
    if admin_port is not None:
        servers.append(
            _Server(
                uvicorn.Config(
                    create_admin_app(service),
                    host="127.0.0.1",
                    port=admin_port,
                    lifespan="off",
                    access_log=access_log,
                    timeout_graceful_shutdown=grace,
                    log_config=None,
                )
            )
        )

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def stop(sig: signal.Signals) -> None:
            if service.shutting_down and sig is signal.SIGINT:
                for server in servers:
                    server.force_exit = True
            service.shutting_down = True
            for server in servers:
                server.should_exit = True

        def reload() -> None:
            loop.run_in_executor(None, _reload_and_report, service)

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop, sig)
        loop.add_signal_handler(signal.SIGHUP, reload)
        logger.info(
            "serving rules %s (%s)", holder.current.digest, ", ".join(sorted(holder.current.rule_set.frameworks))
        )
        main_sockets = None
        if reuse_port:
            main_sockets = [_reusable_socket(host, port)]
            logger.info("listening on %s port %d with SO_REUSEPORT", host, port)
        await asyncio.gather(servers[0].serve(sockets=main_sockets), *(server.serve() for server in servers[1:]))

    try:
        asyncio.run(main())
    finally:
        if log is not None:
            log.close()
    return 0 if all(server.started for server in servers) else 1
