"""The decision service's routes: HTTP requests in, the result JSON out.

Status codes say what `framework-check`'s exit codes say:

| status | when | body |
|---|---|---|
| 200 | evaluated (whatever the grades), or not in force on that date | the result |
| 400 | the body is not JSON (empty, not UTF-8, bad syntax, nested too deeply to read) | the result |
| 400 | a query parameter is malformed (`as_of`, `explain`, `source` too long) | an error |
| 404 | a schema path names no framework (the CLI's `--framework` naming none: wrong usage) | an error |
| 408 | the body did not arrive within `--timeout` | an error |
| 413 | the body is above `--max-bytes` (refused before it is read) | the result (`evidence.too-large`) |
| 415 | not `application/json` (JSON Lines for the batch) | an error |
| 422 | invalid evidence, with every problem (the CLI's exit 1) | the result |
| 503 | evaluating took longer than `--timeout`, or the decision log cannot be written | an error |

An evaluation answers with exactly the bytes `framework-check --format json` prints for
the same document, and every response carries the digest of the rules that produced it
in `X-Rules-Digest`. Nothing a client sends gives a 500 or a traceback: anything
unforeseen is a 500 with a one-line JSON error, its traceback in the service's log only.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from framework_dsl import canonical_json
from framework_dsl.diagnostics import Diagnostic, did_you_mean, to_json
from framework_dsl.evidence import parse_json
from framework_dsl.json_schema import DATE_PATTERN
from framework_dsl.result import Result
from framework_dsl.service.config import ServiceConfig
from framework_dsl.service.decision_log import DecisionLog
from framework_dsl.service.openapi import DIGEST_HEADER, JSON_LINES_TYPES, MAX_SOURCE
from framework_dsl.service.state import RulesHolder, ServedRules

logger = logging.getLogger("framework_dsl.service")

_DATE = re.compile(DATE_PATTERN)
_JSON = "application/json"


class Refused(Exception):
    """A request refused before evaluation: its status and error body."""

    def __init__(self, status: int, error: str, message: str, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.problems = problems or []


class TooLarge(Exception):
    """The body went past the byte limit after `size` bytes."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class ReadingStreamingResponse(StreamingResponse):
    """A streamed response whose body is produced while the request body is still being read.

    Starlette's own listens for the client's disconnect by reading the request's
    messages, which would take the batch's lines from under the reader; here the
    reader itself sees a disconnect (`ClientDisconnect`) and ends the stream.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the head, then each piece the body iterator gives, then the end."""
        with contextlib.suppress(OSError):  # the client went away; nothing left to tell it
            await self.stream_response(send)


class Service:
    """What the routes share: the rules holder, the settings, the decision log."""

    def __init__(self, holder: RulesHolder, config: ServiceConfig, log: DecisionLog | None = None) -> None:
        self.holder = holder
        self.config = config
        self.log = log
        self.shutting_down = False

    # -- responses

    @staticmethod
    def json_response(served: ServedRules, status: int, body: bytes, media_type: str = _JSON) -> Response:
        """A response carrying the digest of the rules that produced it."""
        return Response(body, status_code=status, media_type=media_type, headers={DIGEST_HEADER: served.digest})

    def error_response(self, served: ServedRules, refused: Refused) -> Response:
        """The JSON body of a refusal: `{"error", "message", "problems", "rules_digest"}`."""
        body = {
            "error": refused.error,
            "message": refused.message,
            "problems": refused.problems,
            "rules_digest": served.digest,
        }
        return self.json_response(served, refused.status, canonical_json.dumps_bytes(body, indent=2) + b"\n")

    # -- parameters

    def _parameters(self, request: Request) -> tuple[datetime.date | None, bool]:
        query = request.query_params
        as_of = None
        as_of_text = query.get("as_of")
        if as_of_text is not None:
            try:
                if not _DATE.match(as_of_text):
                    raise ValueError(as_of_text)
                as_of = datetime.date.fromisoformat(as_of_text)
            except ValueError:
                raise Refused(
                    400,
                    "bad-parameter",
                    f"as_of {as_of_text!r} is not a date; write YYYY-MM-DD, for example 2019-03-01",
                    [_problem("as_of", "as_of is not a date", "YYYY-MM-DD", as_of_text, "request.bad-parameter")],
                ) from None
        explain_text = query.get("explain", "false").lower()
        if explain_text not in ("true", "false", "1", "0"):
            raise Refused(
                400,
                "bad-parameter",
                f"explain is true or false, not {explain_text!r}",
                [_problem("explain", "explain is a boolean", "true or false", explain_text, "request.bad-parameter")],
            )
        source = query.get("source")
        if source is not None and len(source) > MAX_SOURCE:
            raise Refused(
                400,
                "bad-parameter",
                f"source is {len(source)} characters long, above the limit of {MAX_SOURCE}",
                [
                    _problem(
                        "source",
                        "source is too long",
                        f"at most {MAX_SOURCE} characters",
                        str(len(source)),
                        "request.bad-parameter",
                    )
                ],
            )
        # No `framework` parameter: the evidence names its framework (its schema requires
        # it), so a valid document is never refused for a parameter that contradicts it.
        return as_of, explain_text in ("true", "1")

    @staticmethod
    def _media_type(request: Request) -> str:
        return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    # -- body

    async def _read_body(self, request: Request, limit: int) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise TooLarge(int(declared))
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLarge(size)
            chunks.append(chunk)
        return b"".join(chunks)

    # -- POST /v1/evaluate

    async def evaluate(self, request: Request) -> Response:
        """One evidence document (application/json) -> its result."""
        served = self.holder.current  # this request's rules, to its end
        try:
            media = self._media_type(request)
            if media != _JSON and not (media.startswith("application/") and media.endswith("+json")):
                raise Refused(
                    415,
                    "unsupported-media-type",
                    f"the body must be application/json, not {media or 'untyped'}",
                    [_problem("", "the body is not JSON", _JSON, media or "no Content-Type", "request.media-type")],
                )
            as_of, explain = self._parameters(request)
            source = request.query_params.get("source")
            limits = self.config.limits
            try:
                with anyio.fail_after(self.config.timeout):
                    body = await self._read_body(request, limits.max_bytes)
            except TimeoutError:
                raise Refused(
                    408, "request-timeout", f"the body did not arrive within {self.config.timeout:g} seconds"
                ) from None
            except TooLarge as large:
                result = _too_large(served, source, as_of, large.size, limits.max_bytes)
                return self.json_response(served, 413, result.to_json_bytes(indent=2) + b"\n")

            def run() -> tuple[int, bytes]:
                data, problems = parse_json(body, source or "<evidence>", limits)
                if problems:
                    # As the CLI reads it, so the bytes are the CLI's.
                    result = served.rule_set.evaluate_json(body, as_of, source=source, explain=explain, limits=limits)
                    status = 400
                else:
                    result = served.rule_set.evaluate(data, as_of, source=source, explain=explain, limits=limits)
                    status = 422 if result.status == "invalid_evidence" else 200
                if self.log is not None:
                    self.log.record(result, body)
                return status, result.to_json_bytes(indent=2, explain=explain) + b"\n"

            try:
                with anyio.fail_after(self.config.timeout):
                    status, payload = await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
            except TimeoutError:
                raise Refused(
                    503, "timeout", f"evaluating took longer than {self.config.timeout:g} seconds; nothing was decided"
                ) from None
            except OSError as error:
                logger.error("the decision log cannot be written: %s", error)
                raise Refused(503, "decision-log", "the decision log cannot be written; nothing was decided") from None
            return self.json_response(served, status, payload)
        except Refused as refused:
            return self.error_response(served, refused)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is there to read it

    # -- POST /v1/evaluate/batch

    async def evaluate_batch(self, request: Request) -> Response:
        """JSON Lines in (one document per line), JSON Lines out (one result per non-blank line), streamed."""
        served = self.holder.current
        try:
            media = self._media_type(request)
            if media not in JSON_LINES_TYPES:
                raise Refused(
                    415,
                    "unsupported-media-type",
                    f"the body must be JSON Lines ({', '.join(JSON_LINES_TYPES)}), not {media or 'untyped'}",
                    [
                        _problem(
                            "",
                            "the body is not JSON Lines",
                            " or ".join(JSON_LINES_TYPES),
                            media or "no Content-Type",
                            "request.media-type",
                        )
                    ],
                )
            as_of, explain = self._parameters(request)
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.config.max_batch_bytes:
                raise Refused(
                    413,
                    "too-large",
                    f"the batch is {declared} bytes, above the limit of {self.config.max_batch_bytes}",
                    [
                        _problem(
                            "",
                            "the batch is too large",
                            f"at most {self.config.max_batch_bytes} bytes",
                            f"{declared} bytes",
                            "evidence.too-large",
                        )
                    ],
                )
        except Refused as refused:
            return self.error_response(served, refused)
        name = request.query_params.get("source") or "<request>"
        lines = self._batch_lines(request, served, name, as_of, explain)
        return ReadingStreamingResponse(lines, media_type=JSON_LINES_TYPES[0], headers={DIGEST_HEADER: served.digest})

    async def _batch_lines(
        self,
        request: Request,
        served: ServedRules,
        name: str,
        as_of: datetime.date | None,
        explain: bool,
    ) -> AsyncIterator[bytes]:
        limits = self.config.limits
        timeout = self.config.timeout
        pending = bytearray()  # the start of a line not yet complete
        oversize = 0  # > 0: the current line is past the limit; its bytes so far (not kept)
        number = 0  # lines seen, for `source`
        total = 0

        def evaluate_lines(lines: list[tuple[int, bytes | int]]) -> bytes:
            out = []
            for line_number, line in lines:
                source = f"{name}:{line_number}"
                if isinstance(line, int):
                    result = _too_large(served, source, as_of, line, limits.max_bytes)
                    evidence = b""
                else:
                    result = served.rule_set.evaluate_json(line, as_of, source=source, explain=explain, limits=limits)
                    evidence = line
                if self.log is not None:
                    self.log.record(result, evidence)
                out.append(result.to_json_bytes(indent=None, explain=explain) + b"\n")
            return b"".join(out)

        def take(complete: list[tuple[int, bytes | int]], line: bytes | int) -> None:
            nonlocal number
            number += 1
            if isinstance(line, int) or line.strip():
                complete.append((number, line))

        stream = request.stream()
        try:
            while True:
                try:
                    with anyio.fail_after(timeout):
                        chunk = await stream.__anext__()
                except StopAsyncIteration:
                    chunk = None
                except TimeoutError:
                    yield _error_line(served, "request-timeout", f"no bytes arrived for {timeout:g} seconds")
                    return
                complete: list[tuple[int, bytes | int]] = []
                if chunk is None:
                    if oversize:
                        take(complete, oversize + len(pending))
                    elif pending:
                        take(complete, bytes(pending))
                    pending.clear()
                else:
                    total += len(chunk)
                    if total > self.config.max_batch_bytes:
                        yield _error_line(
                            served,
                            "too-large",
                            f"the batch is above the limit of {self.config.max_batch_bytes} bytes; "
                            f"the lines after {number} were not read",
                        )
                        return
                    start = 0
                    while (end := chunk.find(b"\n", start)) >= 0:
                        piece = chunk[start:end]
                        # A line's size counts its newline, as `framework-check` counts a .jsonl line's.
                        if oversize or len(pending) + len(piece) + 1 > limits.max_bytes:
                            take(complete, oversize + len(pending) + len(piece) + 1)
                            oversize = 0
                        else:
                            pending += piece
                            take(complete, bytes(pending))
                        pending.clear()
                        start = end + 1
                    rest = chunk[start:]
                    if oversize or len(pending) + len(rest) > limits.max_bytes:
                        oversize += len(pending) + len(rest)  # counted, not kept
                        pending.clear()
                    else:
                        pending += rest
                if complete:
                    try:
                        with anyio.fail_after(timeout * len(complete)):
                            yield await anyio.to_thread.run_sync(evaluate_lines, complete, abandon_on_cancel=True)
                    except TimeoutError:
                        yield _error_line(served, "timeout", f"evaluating took longer than {timeout:g} s a document")
                        return
                    except OSError as error:
                        logger.error("the decision log cannot be written: %s", error)
                        yield _error_line(served, "decision-log", "the decision log cannot be written; stopped")
                        return
                if chunk is None:
                    return
        except ClientDisconnect:
            return
        finally:
            await stream.aclose()

    # -- the others

    async def frameworks(self, request: Request) -> Response:
        """GET /v1/frameworks: name, title, dates in force and schema path of each framework."""
        served = self.holder.current
        return self.json_response(served, 200, served.frameworks)

    async def schema(self, request: Request) -> Response:
        """GET /v1/frameworks/{name}/schema: the framework's evidence JSON Schema."""
        served = self.holder.current
        name = request.path_params["name"]
        found = served.schemas.get(name)
        if found is None:
            return self.error_response(served, _unknown_framework(served, name))
        return self.json_response(served, 200, found, media_type="application/schema+json")

    async def openapi(self, request: Request) -> Response:
        """GET /openapi.json: the OpenAPI 3.1 document of this service and its rules."""
        served = self.holder.current
        return self.json_response(served, 200, served.openapi)

    async def healthz(self, request: Request) -> Response:
        """GET /healthz: the process answers."""
        served = self.holder.current
        return self.json_response(served, 200, b'{"status": "ok"}\n')

    async def readyz(self, request: Request) -> Response:
        """GET /readyz: rules loaded and compiled, not shutting down."""
        served = self.holder.current
        if self.shutting_down:
            return self.json_response(served, 503, b'{"status": "shutting down"}\n')
        body = canonical_json.dumps_bytes({"status": "ready", "rules_digest": served.digest}) + b"\n"
        return self.json_response(served, 200, body)

    # -- errors that reach the framework

    async def http_error(self, request: Request, error: Exception) -> Response:
        """Starlette's 404 (no such path) and 405 (wrong method) as JSON errors."""
        assert isinstance(error, HTTPException)
        served = self.holder.current
        names = {404: "not-found", 405: "method-not-allowed"}
        message = f"no {request.method} {request.url.path} here" if error.status_code in (404, 405) else error.detail
        response = self.error_response(
            served, Refused(error.status_code, names.get(error.status_code, "http"), message)
        )
        if error.headers:
            response.headers.update(error.headers)
        return response

    async def internal_error(self, request: Request, error: Exception) -> Response:
        """A bug: logged with its traceback; the client gets one line, never the traceback."""
        logger.exception("internal error answering %s %s", request.method, request.url.path)
        served = self.holder.current
        return self.error_response(served, Refused(500, "internal", "internal error, please report it"))


def _problem(path: str, message: str, expected: str | None, found: str | None, code: str) -> dict[str, Any]:
    return {"path": path, "message": message, "expected": expected, "found": found, "code": code}


def _unknown_framework(served: ServedRules, name: str) -> Refused:
    known = sorted(served.rule_set.frameworks)
    hint = did_you_mean(name, known)
    problem = _problem("framework", f"the rules define no framework `{name}`", "one of " + ", ".join(known), name, "")
    problem["code"] = "request.unknown-framework"
    if hint:
        problem["hint"] = hint
    return Refused(404, "unknown-framework", f"the rules define no framework `{name}`", [problem])


def _too_large(
    served: ServedRules,
    source: str | None,
    as_of: datetime.date | None,
    size: int,
    limit: int,
) -> Result:
    """The result for evidence above the byte limit, as `framework-check --max-bytes` gives it."""
    problem = Diagnostic(
        code="evidence.too-large",
        message=f"the evidence is {size} bytes, above the limit of {limit}",
        document=source or "<evidence>",
        pointer="",
        hint="raise the limit with --max-bytes if the document is genuine",
    )
    return Result(
        framework=None,
        framework_title=None,
        rules_digest=served.digest,
        source=source,
        subject=None,
        as_of=as_of,
        as_of_from=None if as_of is None else "argument",
        status="invalid_evidence",
        problems=(problem,),
    )


def _error_line(served: ServedRules, error: str, message: str) -> bytes:
    """The last line of a batch that had to stop: an error object, not a result (no `status`)."""
    return canonical_json.dumps_bytes({"error": error, "message": message, "rules_digest": served.digest}) + b"\n"


def create_app(service: Service) -> Starlette:
    """The service's ASGI application."""
    routes = [
        Route("/v1/evaluate", service.evaluate, methods=["POST"]),
        Route("/v1/evaluate/batch", service.evaluate_batch, methods=["POST"]),
        Route("/v1/frameworks", service.frameworks, methods=["GET"]),
        Route("/v1/frameworks/{name}/schema", service.schema, methods=["GET"]),
        Route("/openapi.json", service.openapi, methods=["GET"]),
        Route("/healthz", service.healthz, methods=["GET"]),
        Route("/readyz", service.readyz, methods=["GET"]),
    ]
    handlers: dict[Any, Callable[..., Any]] = {HTTPException: service.http_error, Exception: service.internal_error}
    return Starlette(routes=routes, exception_handlers=handlers)


def create_admin_app(service: Service) -> Starlette:
    """The admin application, for a separate (loopback) port: `POST /admin/reload`."""

    async def reload(request: Request) -> Response:
        outcome = await anyio.to_thread.run_sync(service.holder.reload)
        served = service.holder.current
        body: dict[str, Any] = {
            "accepted": outcome.accepted,
            "rules_digest": outcome.digest,
            "previous": outcome.previous,
            "diagnostics": [to_json(d) for d in outcome.diagnostics],
        }
        if outcome.accepted:
            logger.info("reloaded the rules: %s (was %s)", outcome.digest, outcome.previous)
        else:
            logger.error("refused new rules (%d errors); still serving %s", len(outcome.errors), outcome.digest)
        return Service.json_response(served, 200 if outcome.accepted else 422, canonical_json.dumps_bytes(body) + b"\n")

    async def status(request: Request) -> Response:
        served = service.holder.current
        return Service.json_response(served, 200, canonical_json.dumps_bytes({"rules_digest": served.digest}) + b"\n")

    handlers: dict[Any, Callable[..., Any]] = {HTTPException: service.http_error, Exception: service.internal_error}
    return Starlette(
        routes=[Route("/admin/reload", reload, methods=["POST"]), Route("/admin/status", status, methods=["GET"])],
        exception_handlers=handlers,
    )
