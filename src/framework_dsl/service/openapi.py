"""The service's OpenAPI 3.1 document, built from the rules it serves.

The request body of `POST /v1/evaluate` is any one of the frameworks' own evidence
schemas (`json_schema.evidence_schema`, the same as `framework-dsl schema` prints), so
a client generated from this document validates evidence as the engine does. Each
framework's `$defs` move into `components/schemas` (their names are qualified by
module already) and its `#/$defs/...` references are rewritten to point there, since
a reference inside an OpenAPI document resolves against the whole document.
"""

from __future__ import annotations

from typing import Any

from framework_dsl.evidence import Limits
from framework_dsl.json_schema import DATE_PATTERN, evidence_schema
from framework_dsl.ruleset import RuleSet

OPENAPI_VERSION = "3.1.0"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# JSON Lines media types the batch endpoint accepts (the first is the one it answers with).
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
DIGEST_HEADER = "X-Rules-Digest"
MAX_SOURCE = 1000  # characters of the `source` query parameter

_PROBLEM: dict[str, Any] = {
    "type": "object",
    "required": ["path", "message", "expected", "found", "code"],
    "properties": {
        "path": {"type": "string", "description": "JSON pointer into the evidence"},
        "message": {"type": "string"},
        "expected": {"type": ["string", "null"]},
        "found": {"type": ["string", "null"]},
        "code": {"type": "string"},
        "hint": {"type": "string"},
    },
}
_DECISION: dict[str, Any] = {
    "type": "object",
    "required": ["status", "outcome", "rule"],
    "properties": {
        "item": {"type": "string", "description": "the JSON pointer of a for-each item"},
        "status": {"enum": ["decided", "undetermined", "error"]},
        "outcome": {"description": "a grade, member, boolean, number, text, date or list of them; null unless decided"},
        "label": {
            "description": "the outcome's label (a list of labels for a list outcome)",
            "anyOf": [{"type": ["string", "null"]}, {"type": "array", "items": {"type": ["string", "null"]}}],
        },
        "reason": {"type": ["string", "null"]},
        "cite": {"type": ["string", "null"]},
        "rule": {"type": "string"},
        "inputs": {"type": "object"},
        "missing": {"type": "array", "items": {"type": "string"}},
        "error": {"type": "string"},
        "trace": {"type": "array"},
    },
}
_OUTCOMES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {"$ref": "#/components/schemas/Decision"},
            {"type": "array", "items": {"$ref": "#/components/schemas/Decision"}},
        ]
    },
}
_RESULT: dict[str, Any] = {
    "type": "object",
    "description": "The result JSON of docs/interfaces.md: the bytes `framework-check --format json` prints",
    "required": [
        "framework",
        "framework_title",
        "rules_digest",
        "source",
        "subject",
        "as_of",
        "as_of_from",
        "status",
        "judgements",
        "checks",
        "problems",
    ],
    "properties": {
        "framework": {"type": ["string", "null"]},
        "framework_title": {"type": ["string", "null"]},
        "rules_digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
        "source": {"type": ["string", "null"]},
        "subject": {"type": ["object", "null"]},
        "as_of": {"type": ["string", "null"], "pattern": DATE_PATTERN},
        "as_of_from": {"enum": ["argument", "evidence", "clock", None]},
        "status": {"enum": ["evaluated", "invalid_evidence", "not_in_force"]},
        "judgements": {"$ref": "#/components/schemas/Outcomes"},
        "checks": {"$ref": "#/components/schemas/Outcomes"},
        "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
    },
}
_ERROR: dict[str, Any] = {
    "type": "object",
    "description": "Why a request was refused before any evidence was evaluated",
    "required": ["error", "message", "problems", "rules_digest"],
    "properties": {
        "error": {"type": "string", "description": "a stable identifier: unsupported-media-type, unknown-framework, …"},
        "message": {"type": "string"},
        "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
        "rules_digest": {"type": "string"},
    },
}
_FRAMEWORKS: dict[str, Any] = {
    "type": "object",
    "required": ["rules_digest", "frameworks"],
    "properties": {
        "rules_digest": {"type": "string"},
        "frameworks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "title", "schema"],
                "properties": {
                    "name": {"type": "string"},
                    "title": {"type": "string"},
                    "effective_from": {"type": ["string", "null"]},
                    "effective_until": {"type": ["string", "null"]},
                    "schema": {"type": "string", "description": "the path of its evidence schema"},
                },
            },
        },
    },
}


def _rewrite_refs(value: Any, defs: dict[str, str]) -> Any:
    """`value` with each `#/$defs/NAME` reference pointed at `#/components/schemas/` (renamed by `defs`)."""
    if isinstance(value, dict):
        rewritten = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith("#/$defs/"):
                name = item.removeprefix("#/$defs/")
                rewritten[key] = "#/components/schemas/" + defs.get(name, name)
            else:
                rewritten[key] = _rewrite_refs(item, defs)
        return rewritten
    if isinstance(value, list):
        return [_rewrite_refs(item, defs) for item in value]
    return value


def evidence_component_name(framework: str) -> str:
    """The name of `framework`'s evidence schema under `components/schemas`."""
    return f"{framework}.evidence"


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {DIGEST_HEADER: {"$ref": "#/components/headers/RulesDigest"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _result_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {DIGEST_HEADER: {"$ref": "#/components/headers/RulesDigest"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Result"}}},
    }


def openapi_document(rule_set: RuleSet, limits: Limits, *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a service serving `rule_set` with `limits`."""
    schemas: dict[str, Any] = {}
    names = sorted(rule_set.frameworks)
    for name in names:
        schema = evidence_schema(rule_set.frameworks[name], limits)
        schema.pop("$schema", None)
        own_defs = schema.pop("$defs", {})
        renamed: dict[str, str] = {}
        for key, definition in own_defs.items():
            # A module shared by two frameworks gives the same definition to both; if
            # two ever differ, the second is kept apart under its framework's name.
            target = key if schemas.get(key, definition) == definition else f"{name}.{key}"
            renamed[key] = target
        for key, definition in own_defs.items():
            schemas[renamed[key]] = _rewrite_refs(definition, renamed)
        schemas[evidence_component_name(name)] = _rewrite_refs(schema, renamed)
    schemas.update(
        {"Result": _RESULT, "Decision": _DECISION, "Outcomes": _OUTCOMES, "Problem": _PROBLEM, "Error": _ERROR}
    )
    schemas["Frameworks"] = _FRAMEWORKS
    evidence_body = {"anyOf": [{"$ref": "#/components/schemas/" + evidence_component_name(n)} for n in names]}
    as_of = {
        "name": "as_of",
        "in": "query",
        "required": False,
        "description": "The evaluation date (default: the evidence's own date field, else today)",
        "schema": {"type": "string", "format": "date", "pattern": DATE_PATTERN},
    }
    explain = {
        "name": "explain",
        "in": "query",
        "required": False,
        "description": "Add each decision's trace: every clause tried and the values its condition read",
        "schema": {"type": "boolean"},
    }
    source = {
        "name": "source",
        "in": "query",
        "required": False,
        "description": "Where the evidence came from, copied into the result's `source` (default: null)",
        "schema": {"type": "string", "maxLength": MAX_SOURCE},
    }
    digest_header = {"$ref": "#/components/headers/RulesDigest"}
    plain_get = {"200": {"description": "OK", "headers": {DIGEST_HEADER: digest_header}}}
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": JSON_SCHEMA_DIALECT,
        "info": {
            "title": "framework-dsl decision service",
            "version": version,
            "description": (
                "Evaluates inspection evidence against the rules it serves and answers with the result "
                f"JSON of `framework-check --format json`. Rules digest: {rule_set.digest}."
            ),
        },
        "paths": {
            "/v1/evaluate": {
                "post": {
                    "operationId": "evaluate",
                    "summary": "Evaluate one evidence document",
                    "parameters": [as_of, explain, source],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": evidence_body}},
                    },
                    "responses": {
                        "200": _result_response("Evaluated (whatever the grades) or not in force on that date"),
                        "400": {
                            "description": "The body is not JSON (empty, not UTF-8, a syntax error, too deep to "
                            "read): the result; or a query parameter is malformed: an error",
                            "headers": {DIGEST_HEADER: digest_header},
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "anyOf": [
                                            {"$ref": "#/components/schemas/Result"},
                                            {"$ref": "#/components/schemas/Error"},
                                        ]
                                    }
                                }
                            },
                        },
                        "408": _error_response("The body did not arrive within the service's --timeout"),
                        "413": _result_response("The body is larger than the service's --max-bytes"),
                        "415": _error_response("The body is not application/json"),
                        "422": _result_response("Invalid evidence: the problems say where and why"),
                        "503": _error_response("The request took longer than the service's --timeout"),
                    },
                }
            },
            "/v1/evaluate/batch": {
                "post": {
                    "operationId": "evaluateBatch",
                    "summary": "Evaluate JSON Lines: one evidence document per line, one result per line, streamed",
                    "parameters": [as_of, explain, source],
                    "requestBody": {
                        "required": True,
                        # JSON Lines: the array's items, one a line (the array itself is not sent).
                        "content": {
                            media: {
                                "schema": {
                                    "type": "array",
                                    "description": "evidence documents, each written on one line",
                                    "items": evidence_body,
                                }
                            }
                            for media in JSON_LINES_TYPES
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "One result per non-blank line, in order (`framework-check --format jsonl`)",
                            "headers": {DIGEST_HEADER: digest_header},
                            "content": {JSON_LINES_TYPES[0]: {"schema": {"type": "string"}}},
                        },
                        "400": _error_response("A query parameter is malformed"),
                        "413": _error_response("The body is larger than the service's --max-batch-bytes"),
                        "415": _error_response("The body is not JSON Lines"),
                    },
                }
            },
            "/v1/frameworks": {
                "get": {
                    "operationId": "frameworks",
                    "summary": "The frameworks the rules define",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "headers": {DIGEST_HEADER: digest_header},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Frameworks"}}},
                        }
                    },
                }
            },
            "/v1/frameworks/{name}/schema": {
                "get": {
                    "operationId": "frameworkSchema",
                    "summary": "The JSON Schema (draft 2020-12) of a framework's evidence",
                    "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "headers": {DIGEST_HEADER: digest_header},
                            "content": {"application/schema+json": {"schema": {"type": "object"}}},
                        },
                        "404": _error_response("The rules define no such framework"),
                    },
                }
            },
            "/healthz": {"get": {"operationId": "health", "summary": "The process is up", "responses": plain_get}},
            "/readyz": {
                "get": {
                    "operationId": "ready",
                    "summary": "Rules are loaded and the service is not shutting down",
                    "responses": {**plain_get, "503": {"description": "Shutting down"}},
                }
            },
        },
        "components": {
            "schemas": schemas,
            "headers": {
                "RulesDigest": {
                    "description": "The digest of the rule set that answered (`rules_digest` of the results)",
                    "schema": {"type": "string"},
                }
            },
        },
    }
