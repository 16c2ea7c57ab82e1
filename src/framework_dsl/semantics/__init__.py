"""What the language's operators mean, defined once (`operators`), for every stage that needs it.

The checker takes each operator's type rule from here, and both evaluation paths (the
generated code in `framework_dsl.engine` and the reference evaluator it is tested
against) take its runtime meaning from here: how it treats unknown values, its bounds
and its errors.
"""
