"""`python -m framework_dsl` runs `framework-check`."""

from framework_dsl.cli import main_check

main_check()
