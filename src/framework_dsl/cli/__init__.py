"""The commands: `framework-check` (check evidence) and `framework-dsl` (author rules).

Thin by design: each command parses its arguments, calls the API, renders, and maps
the outcome to an exit code. One module per command group; `framework-dsl`
subcommands register themselves on the group when their module is imported here.
"""

from framework_dsl.cli.check import framework_check, main_check
from framework_dsl.inputs import EvidenceInput, evaluate_input
from framework_dsl.cli.dsl import framework_dsl, main_dsl

# Subcommands of `framework-dsl` register themselves on the group when imported.
import framework_dsl.cli.explain  # noqa: E402, F401
import framework_dsl.cli.schema  # noqa: E402, F401
import framework_dsl.cli.lint  # noqa: E402, F401

__all__ = ["EvidenceInput", "evaluate_input", "framework_check", "framework_dsl", "main_check", "main_dsl"]
