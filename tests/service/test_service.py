"""The decision service over real HTTP: the CLI's bytes, status codes that mean something, no traceback."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from framework_dsl.service.config import DEFAULT_SERVICE_LIMITS

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.service.conftest import ServiceProcess

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLES = REPO / "examples"

EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.json"))
AS_OF = "2024-06-01"
CHECK = "from framework_dsl.cli.check import main_check; main_check()"


def framework_check(*arguments: str) -> bytes:
    """The standard output of a real `framework-check` process."""
    run = subprocess.run([sys.executable, "-c", CHECK, *arguments], capture_output=True, check=False, cwd=REPO)
    assert run.returncode in (0, 1), run.stderr.decode()
    return run.stdout


def split_json_array(output: bytes) -> list[bytes]:
    """Each object of `framework-check --format json` on several files, as it prints one file alone.

    The array is `[\\n` + objects joined by `,\\n` + `\\n]\\n`, each object exactly the
    bytes of a single document's output less its final newline; an object's own closing
    brace stands alone at the start of a line, nested ones are indented.
    """
    assert output.startswith(b"[\n{\n") and output.endswith(b"\n}\n]\n")
    objects = (output[2:-3] + b",\n").split(b"\n},\n")
    assert objects[-1] == b""
    return [part + b"\n}\n" for part in objects[:-1]]


@pytest.fixture(scope="module")
def cli_outputs() -> dict[str, list[bytes]]:
    """framework-check's JSON for every bundled example: with --as-of, without it, and explained."""
    files = [str(path.relative_to(REPO)) for path in EXAMPLE_FILES]
    return {
        "as_of": split_json_array(framework_check(*files, "--format", "json", "--as-of", AS_OF)),
        "own_date": split_json_array(framework_check(*files, "--format", "json")),
        "explain": split_json_array(framework_check(*files, "--format", "json", "--as-of", AS_OF, "--explain")),
    }


def post_json(service: ServiceProcess, body: bytes, **params: str) -> httpx.Response:
    return service.client.post(
        "/v1/evaluate", content=body, params=params, headers={"content-type": "application/json"}
    )


def test_splitting_the_array_gives_what_one_file_prints() -> None:
    """The split of a multi-file run equals a single-file run's output, so the comparisons below are fair."""
    first, second = (str(p.relative_to(REPO)) for p in EXAMPLE_FILES[:2])
    together = split_json_array(framework_check(first, second, "--format", "json", "--as-of", AS_OF))
    assert together == [framework_check(f, "--format", "json", "--as-of", AS_OF) for f in (first, second)]


@pytest.mark.parametrize("variant", ["as_of", "own_date", "explain"])
def test_every_bundled_example_gives_the_bytes_framework_check_prints(
    service: ServiceProcess, cli_outputs: dict[str, list[bytes]], variant: str
) -> None:
    """POST /v1/evaluate answers each example with exactly `framework-check --format json`'s bytes."""
    compared = 0
    for path, expected in zip(EXAMPLE_FILES, cli_outputs[variant], strict=True):
        if variant == "own_date" and b'"as_of_from": "clock"' in expected:
            continue  # "today" is read by each process; only dated evidence compares without --as-of
        params = {"source": str(path.relative_to(REPO))}
        if variant != "own_date":
            params["as_of"] = AS_OF
        if variant == "explain":
            params["explain"] = "true"
        response = post_json(service, path.read_bytes(), **params)
        assert response.content == expected, path
        result = json.loads(expected)
        assert response.headers["x-rules-digest"] == result["rules_digest"]
        assert response.status_code == (422 if result["status"] == "invalid_evidence" else 200), path
        compared += 1
    assert compared >= len(EXAMPLE_FILES) // 2


def _chunks(data: bytes, size: int = 1 << 16) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


DEEP = b"[" * 10_000 + b"]" * 10_000
TEN_MB = b'{"framework": "cqc", "subject": {"padding": "' + b"x" * (10 * 1024 * 1024) + b'"}}'


@pytest.mark.parametrize(
    ("name", "body", "content_type", "status", "code"),
    [
        ("empty", b"", "application/json", 400, "evidence.invalid-json"),
        ("not JSON", b"{framework: cqc", "application/json", 400, "evidence.invalid-json"),
        ("not UTF-8", b'{"framework": "\xff"}', "application/json", 400, "evidence.invalid-json"),
        (
            "duplicate key",
            b'{"framework": "cqc", "framework": "clas"}',
            "application/json",
            400,
            "evidence.invalid-json",
        ),
        ("array", b"[]", "application/json", 422, "evidence.not-an-object"),
        ("10,000 deep", DEEP, "application/json", 400, "evidence.too-large"),
        ("10,000 deep in an object", b'{"framework": "cqc", "subject": ' + DEEP + b"}", "application/json", 400, None),
        ("10 MB", TEN_MB, "application/json", 413, "evidence.too-large"),
        ("unknown framework", b'{"framework": "cqx"}', "application/json", 422, "evidence.unknown-framework"),
        ("no framework", b"{}", "application/json", 422, "evidence.missing-field"),
        ("form data", b"a=b", "application/x-www-form-urlencoded", 415, "request.media-type"),
        ("text", b"{}", "text/plain", 415, "request.media-type"),
    ],
)
def test_a_bad_body_gets_its_status_and_the_problems(
    service: ServiceProcess, name: str, body: bytes, content_type: str, status: int, code: str | None
) -> None:
    """Each kind of bad body has the status of its kind, a JSON body listing the problems, and no traceback."""
    response = service.client.post("/v1/evaluate", content=body, headers={"content-type": content_type})
    assert response.status_code == status, response.text
    data = response.json()
    assert data["problems"], data
    if code is not None:
        assert code in [problem["code"] for problem in data["problems"]]
    assert "Traceback" not in response.text
    assert response.headers["x-rules-digest"].startswith("sha256:")


def test_a_body_too_large_without_a_length_is_refused_while_it_streams(service: ServiceProcess) -> None:
    """A chunked body (no Content-Length) past the limit is 413 too: the limit is counted as bytes arrive."""
    response = service.client.post(
        "/v1/evaluate", content=_chunks(TEN_MB), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["problems"][0]["code"] == "evidence.too-large"


def test_a_deep_body_answers_as_framework_check_does(service: ServiceProcess, tmp_path: Path) -> None:
    """The 10,000-deep document gives the CLI's result bytes, as a 400."""
    path = tmp_path / "deep.json"
    path.write_bytes(DEEP)
    response = post_json(service, DEEP, source=str(path))
    assert response.status_code == 400
    assert response.content == framework_check(str(path), "--format", "json")


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"as_of": "yesterday"}, 400, "bad-parameter"),
        ({"as_of": "2019-02-30"}, 400, "bad-parameter"),
        ({"explain": "perhaps"}, 400, "bad-parameter"),
    ],
)
def test_a_bad_parameter_is_refused_with_the_problem(
    service: ServiceProcess, params: dict[str, str], status: int, error: str
) -> None:
    """A query parameter the service cannot use is refused before any evaluation, saying which and why."""
    body = (EXAMPLES / "cqc" / "typical.json").read_bytes()
    response = post_json(service, body, **params)
    assert response.status_code == status
    data = response.json()
    assert data["error"] == error
    assert data["problems"]


def test_an_unknown_framework_in_the_path_is_404_with_a_hint(service: ServiceProcess) -> None:
    """GET /v1/frameworks/NAME/schema for a misspelt name is 404 and suggests the right one."""
    response = service.client.get("/v1/frameworks/cqx/schema")
    assert response.status_code == 404
    assert "cqc" in response.json()["problems"][0]["hint"]


def test_each_framework_schema_is_the_one_framework_dsl_schema_prints(service: ServiceProcess) -> None:
    """The listing names every framework, and each schema is `framework-dsl schema`'s output."""
    listing = service.client.get("/v1/frameworks").json()
    names = [entry["name"] for entry in listing["frameworks"]]
    assert names == sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    for name in names[:2]:
        printed = subprocess.run(
            [
                sys.executable,
                "-c",
                "from framework_dsl.cli.dsl import main_dsl; main_dsl()",
                "schema",
                name,
                "--max-bytes",
                str(DEFAULT_SERVICE_LIMITS.max_bytes),  # the service's own limit, stated in its schemas
            ],
            capture_output=True,
            check=True,
        ).stdout
        served = service.client.get(f"/v1/frameworks/{name}/schema")
        assert served.headers["content-type"].startswith("application/schema+json")
        assert served.content == printed


def test_the_openapi_request_body_is_the_frameworks_own_schemas(service: ServiceProcess) -> None:
    """/openapi.json's evaluate body is any one of the evidence schemas, each under components."""
    document = service.client.get("/openapi.json").json()
    body = document["paths"]["/v1/evaluate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    refs = [option["$ref"] for option in body["anyOf"]]
    names = [entry["name"] for entry in service.client.get("/v1/frameworks").json()["frameworks"]]
    assert refs == [f"#/components/schemas/{name}.evidence" for name in names]
    cqc = document["components"]["schemas"]["cqc.evidence"]
    assert cqc["properties"]["framework"]["const"] == "cqc"
    assert "$defs" not in json.dumps(document)


def test_health_and_readiness(service: ServiceProcess) -> None:
    """/healthz and /readyz answer 200 with the digest header once the rules are loaded."""
    for path in ("/healthz", "/readyz"):
        response = service.client.get(path)
        assert response.status_code == 200
        assert response.headers["x-rules-digest"].startswith("sha256:")


def test_unknown_paths_and_methods_are_json_errors(service: ServiceProcess) -> None:
    """No route is a JSON 404, a wrong method a JSON 405: never Starlette's plain text."""
    assert service.client.get("/v2/nothing").json()["error"] == "not-found"
    wrong = service.client.get("/v1/evaluate")
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method-not-allowed"


@pytest.mark.parametrize("explain", [False, True])
def test_a_batch_streams_the_lines_framework_check_writes(
    service: ServiceProcess, tmp_path: Path, explain: bool
) -> None:
    """POST /v1/evaluate/batch gives, line for line, `framework-check --format jsonl` on the same .jsonl file."""
    lines = [json.dumps(json.loads(p.read_bytes())).encode() for p in EXAMPLE_FILES[:12]]
    lines.insert(3, b"")  # blank lines are skipped, as the CLI skips them
    lines.insert(5, b"{not json")
    lines.insert(7, b'{"framework": "cqc", "subject": {"x": "' + b"y" * (2 * 1024 * 1024) + b'"}}')  # over --max-bytes
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    options = ["--format", "jsonl", "--as-of", AS_OF, "--max-bytes", str(1024 * 1024)]
    expected = framework_check(str(path), *options, *(["--explain"] if explain else []))
    response = service.client.post(
        "/v1/evaluate/batch",
        content=_chunks(path.read_bytes(), 4096),  # lines split across chunks
        params={"source": str(path), "as_of": AS_OF, "explain": str(explain).lower()},
        headers={"content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.content == expected
    assert len(response.content.splitlines()) == len(lines) - 1


def test_a_batch_with_the_wrong_content_type_is_415(service: ServiceProcess) -> None:
    """The batch endpoint takes JSON Lines only."""
    response = service.client.post("/v1/evaluate/batch", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 415
    assert response.json()["problems"][0]["code"] == "request.media-type"


def test_the_decision_log_holds_a_whole_receipt_per_decision(
    tmp_path: Path, start_service: Callable[..., ServiceProcess]
) -> None:
    """Each decision is one whole JSON line (digest, engine, date, input hash, outcomes); SIGTERM loses none."""
    log = tmp_path / "decisions.jsonl"
    running = start_service(log=log)
    bodies = [p.read_bytes() for p in EXAMPLE_FILES[:10]]
    try:
        answers = [post_json(running, body, as_of=AS_OF).json() for body in bodies]
    finally:
        status, _ = running.stop()
    assert status == 0
    data = log.read_bytes()
    assert data.endswith(b"\n")
    entries = [json.loads(line) for line in data.splitlines()]
    assert len(entries) == len(bodies)
    for entry, body, answer in zip(entries, bodies, answers, strict=True):
        assert entry["input_sha256"] == "sha256:" + hashlib.sha256(body).hexdigest()
        assert entry["rules_digest"] == answer["rules_digest"]
        assert entry["as_of"] == AS_OF
        assert entry["status"] == answer["status"]
        assert entry["engine_version"]
        for name, decision in answer["judgements"].items():
            outcome = [d["outcome"] for d in decision] if isinstance(decision, list) else decision["outcome"]
            assert entry["judgements"][name] == outcome
            for item in decision if isinstance(decision, list) else [decision]:
                for pointer, value in (item.get("inputs") or {}).items():
                    assert entry["inputs"][pointer] == value
