"""How one decision service runs: its rules, limits, time limit and decision log."""

from __future__ import annotations

import attrs

from framework_dsl.evidence import Limits

# A request body above this is refused before it is read (413). Evidence of one
# inspection is a few kilobytes; the limit is the CLI's `--max-bytes` option, and the
# service's default is lower than the CLI's because its input comes from the network.
DEFAULT_SERVICE_LIMITS = Limits(max_bytes=1024 * 1024)


@attrs.frozen(kw_only=True)
class ServiceConfig:
    """The settings of a running service (`framework-dsl serve`'s options)."""

    rules: tuple[str, ...] = ()  # files or folders; () = bundled
    limits: Limits = DEFAULT_SERVICE_LIMITS  # per evidence document, as `framework-check` applies them
    # A whole JSON Lines batch body; each of its lines is held to `limits.max_bytes`.
    max_batch_bytes: int = 256 * 1024 * 1024
    timeout: float = 10.0  # seconds for one request: reading its body and evaluating it
    decision_log: str | None = None  # a JSON Lines file to append a receipt of every decision to
