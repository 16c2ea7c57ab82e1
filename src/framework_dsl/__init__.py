"""framework-dsl: inspection frameworks as rules people can read, checked against evidence.

The pipeline, one module per stage: grammar -> parser (nodes) -> loader -> checker
(ir) -> evidence -> evaluator (compiler, evidence_compiler) -> result. The public API
is this module's `__all__`:

    >>> import framework_dsl
    >>> rules = framework_dsl.load_rules()
    >>> result = rules.evaluate({
    ...     "framework": "clas",
    ...     "review": {"date": "2018-03-16", "recommendations": 0},
    ...     "services_reviewed": ["gp"],
    ... })
    >>> result.status, result.judgements["coverage"].outcome
    ('evaluated', 'incomplete')
    >>> result.judgements["coverage"].value.label  # the runtime value: a grade or member
    'Incomplete'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from framework_dsl.diagnostics import Diagnostic, Severity
    from framework_dsl.evidence import Limits
    from framework_dsl.result import Decision, Result
    from framework_dsl.ruleset import RuleError, RuleSet, check_rules, load_rules

__version__ = "0.1.0"

# The public names are imported when first asked for, so the commands start by running
# their own code (which turns Ctrl-C into "interrupted") before the engine is imported.
_HOMES = {
    "Diagnostic": "diagnostics",
    "Severity": "diagnostics",
    "Limits": "evidence",
    "Decision": "result",
    "Result": "result",
    "RuleError": "ruleset",
    "RuleSet": "ruleset",
    "check_rules": "ruleset",
    "load_rules": "ruleset",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'framework_dsl' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"framework_dsl.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "Decision",
    "Diagnostic",
    "Limits",
    "Result",
    "RuleError",
    "RuleSet",
    "Severity",
    "__version__",
    "check_rules",
    "load_rules",
]
