"""The benchmark workload: one decision problem written in several engines.

`workload.fw` is the rule-language version; `handwritten.py` the plain Python one;
each `peer_*.py` module writes the same two judgements in one peer engine. Every
implementation module offers `build() -> (evaluate, outcomes)`: `evaluate(document)`
is what gets timed, and `outcomes(result)` turns its result into the pair
`(overall, question_grade)` that the benchmark compares with the hand-written one.
"""
