"""The rules a service answers with, and reloading them without a restart.

`ServedRules` is everything a request needs from one rule set, built once: the
prepared `RuleSet` (every framework compiled), each framework's JSON Schema and the
OpenAPI document as bytes. `RulesHolder.current` is replaced whole by `reload`, after
the new rules have checked; a request reads it once and uses that one object to the
end, so every response comes from exactly one rule set.
"""

from __future__ import annotations

import threading
from importlib.metadata import PackageNotFoundError, version

import attrs

from framework_dsl import __version__, canonical_json
from framework_dsl.diagnostics import Diagnostic, Severity, sort_diagnostics
from framework_dsl.evidence import Limits
from framework_dsl.json_schema import evidence_schema
from framework_dsl.ruleset import RuleSet, check_rules
from framework_dsl.service.openapi import openapi_document


def engine_version() -> str:
    """The installed engine's version (the decision log records it)."""
    try:
        return version("framework-dsl")
    except PackageNotFoundError:  # a source tree that is not installed
        return __version__


@attrs.frozen
class ServedRules:
    """One checked, compiled rule set and what the service answers about it."""

    rule_set: RuleSet
    schemas: dict[str, bytes]  # framework -> its evidence JSON Schema, as served
    openapi: bytes
    frameworks: bytes  # the body of GET /v1/frameworks

    @property
    def digest(self) -> str:
        """The rules digest every response carries."""
        return self.rule_set.digest

    @classmethod
    def build(cls, rule_set: RuleSet, limits: Limits) -> ServedRules:
        """Compile every framework of `rule_set` (`prepare`) and render what the service serves.

        The tracing variants are compiled too (about as long again), so an `?explain=true`
        request pays for no compiling either.
        """
        rule_set.prepare(explain=True)
        names = sorted(rule_set.frameworks)
        schemas = {
            name: canonical_json.dumps_bytes(evidence_schema(rule_set.frameworks[name], limits), indent=2) + b"\n"
            for name in names
        }
        listing = {
            "rules_digest": rule_set.digest,
            "frameworks": [
                {
                    "name": name,
                    "title": rule_set.frameworks[name].title,
                    "effective_from": _iso(rule_set.frameworks[name].effective_from),
                    "effective_until": _iso(rule_set.frameworks[name].effective_until),
                    "schema": f"/v1/frameworks/{name}/schema",
                }
                for name in names
            ],
        }
        openapi = openapi_document(rule_set, limits, version=engine_version())
        return cls(
            rule_set=rule_set,
            schemas=schemas,
            openapi=canonical_json.dumps_bytes(openapi, indent=2) + b"\n",
            frameworks=canonical_json.dumps_bytes(listing, indent=2) + b"\n",
        )


def _iso(value: object) -> str | None:
    isoformat = getattr(value, "isoformat", None)
    return None if isoformat is None else str(isoformat())


@attrs.frozen
class ReloadOutcome:
    """What a reload did: swapped in `digest`, or refused because of `diagnostics`."""

    accepted: bool
    digest: str  # the digest now served (the old one when refused)
    previous: str
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics that made the rules fail to check."""
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


class RulesHolder:
    """The rules being served; `reload` swaps in new ones only if they check."""

    def __init__(self, served: ServedRules, paths: tuple[str, ...], limits: Limits) -> None:
        self.current = served  # replaced whole, never changed in place
        self._paths = paths
        self._limits = limits
        self._reloading = threading.Lock()

    @classmethod
    def load(cls, paths: tuple[str, ...], limits: Limits) -> tuple[RulesHolder | None, list[Diagnostic]]:
        """Check and prepare the rules at `paths` (bundled if empty): (holder or None, diagnostics)."""
        rule_set, diagnostics = check_rules(*paths)
        if rule_set is None:
            return None, diagnostics
        return cls(ServedRules.build(rule_set, limits), paths, limits), diagnostics

    def reload(self) -> ReloadOutcome:
        """Read the rules again; swap them in if they check, else keep serving the old ones.

        The new rules are checked and compiled before the swap, so no request waits for
        them and none sees half of them. Reloads run one at a time.
        """
        with self._reloading:
            previous = self.current.digest
            rule_set, diagnostics = check_rules(*self._paths)
            found = tuple(sort_diagnostics(diagnostics))
            if rule_set is None:
                return ReloadOutcome(accepted=False, digest=previous, previous=previous, diagnostics=found)
            served = ServedRules.build(rule_set, self._limits)
            self.current = served  # one assignment: a request sees the old rules or the new, never a mix
            return ReloadOutcome(accepted=True, digest=served.digest, previous=previous, diagnostics=found)
