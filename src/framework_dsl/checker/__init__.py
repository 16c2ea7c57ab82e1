"""The check stage, by job: names in scope, types, expressions, decisions, exhaustiveness, dependencies.

`check_program` (in `program`) is the entry point; `scope` holds what the parts share.
"""

from framework_dsl.checker.program import check_program
from framework_dsl.checker.scope import MAX_DEPENDENCY_DEPTH, MAX_SCHEMA_DEPTH

__all__ = ["MAX_DEPENDENCY_DEPTH", "MAX_SCHEMA_DEPTH", "check_program"]
