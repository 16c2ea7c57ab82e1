"""`framework-dsl serve`: the HTTP decision service (framework_dsl.service)."""

from __future__ import annotations

import sys

import click

from framework_dsl.cli.common import limit_options, limits_of
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.evidence import Limits


@framework_dsl.command("serve")
@click.option(
    "--rules", "rules", multiple=True, type=click.Path(), help="Rule file or folder (repeatable); default: bundled."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8181, show_default=True, help="Port to listen on.")
@click.option(
    "--admin-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Also listen on 127.0.0.1:PORT for POST /admin/reload (default: no admin port; SIGHUP reloads too).",
)
@click.option(
    "--decision-log",
    type=click.Path(dir_okay=False),
    default=None,
    help="Append one JSON line per decision to this file (rules digest, engine version, as-of, input hash, "
    "outcomes, inputs read).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.001),
    default=10.0,
    show_default=True,
    help="Seconds a request may take to arrive and be evaluated.",
)
@click.option(
    "--max-batch-bytes",
    type=click.IntRange(min=1),
    default=256 * 1024 * 1024,
    show_default=True,
    help="Stop reading a JSON Lines batch after this many bytes.",
)
@limit_options(
    Limits(max_bytes=1024 * 1024),
    status={
        "max_bytes": "a request body or batch line: 413",
        "max_depth": "422",
        "max_items": "422",
        "max_text": "422",
    },
)
@click.option(
    "--reuse-port",
    is_flag=True,
    help="Listen with SO_REUSEPORT, so several `serve` processes share the port (one per core).",
)
@click.option("--access-log", is_flag=True, help="Log every request on standard error.")
def serve_command(
    rules: tuple[str, ...],
    host: str,
    port: int,
    admin_port: int | None,
    decision_log: str | None,
    timeout: float,
    max_bytes: int,
    max_batch_bytes: int,
    max_depth: int,
    max_items: int,
    max_text: int,
    reuse_port: bool,
    access_log: bool,
) -> None:
    """Serve the rules over HTTP: a decision service for other programs.

    POST /v1/evaluate answers with the result JSON `framework-check --format json` prints;
    POST /v1/evaluate/batch takes and gives JSON Lines; GET /v1/frameworks,
    /v1/frameworks/NAME/schema, /openapi.json, /healthz, /readyz. SIGHUP reloads the
    rules (refused, and the old ones kept, if they do not check); SIGTERM stops after
    the requests in flight. Needs the `serve` extra: pip install 'framework-dsl[serve]'.
    Exit status: 0 stopped by a signal; 1 could not listen; 2 the rules have errors.
    """
    try:
        from framework_dsl.service.config import ServiceConfig
        from framework_dsl.service.server import run_service
    except ImportError as error:
        raise click.ClickException(
            f"the decision service needs {error.name}: pip install 'framework-dsl[serve]'"
        ) from None
    config = ServiceConfig(
        rules=rules,
        limits=limits_of(max_bytes, max_depth, max_items, max_text),
        max_batch_bytes=max_batch_bytes,
        timeout=timeout,
        decision_log=decision_log,
    )
    sys.exit(
        run_service(config, host=host, port=port, admin_port=admin_port, access_log=access_log, reuse_port=reuse_port)
    )
