"""The engine: a checked framework -> functions that decide evidence, and the oracle they are tested against.

- `codegen`: generates one Python module per framework (`compile_framework`), with or
  without tracing; this is what `RuleSet.evaluate` runs.
- `reference`: the tree-walking reference evaluator (`Evaluation`), the oracle.
- `runtime`: how both make decisions; `semantics.operators` is what both compute.
- `pyast`, `safety`: building generated code, and the allow-list walk every module passes.
"""
