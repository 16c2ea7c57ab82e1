"""Generated evidence documents for the workload, from a fixed seed.

The weights make every clause of both judgements fire often enough to matter
(`python benchmarks/run.py` prints the spread of outcomes, and records it in the report).
"""

from __future__ import annotations

import random
from typing import Any

SEED = 20240601
KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")
RATINGS = ("outstanding", "good", "requires_improvement", "inadequate")
RATING_WEIGHTS = (0.22, 0.50, 0.18, 0.10)
CHARACTERISTICS = ("substantially_exceeded", "substantially_all", "some", "few_or_none")


def documents(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` workload evidence documents, the same ones for the same seed."""
    rng = random.Random(seed)
    docs = []
    for _ in range(count):
        ratings = rng.choices(RATINGS, RATING_WEIGHTS, k=len(KEY_QUESTIONS))
        concerns = 0 if rng.random() < 0.7 else rng.randint(1, 3)
        docs.append(
            {
                "framework": "workload",
                "key_questions": dict(zip(KEY_QUESTIONS, ratings, strict=True)),
                "breach": rng.random() < 0.25,
                "question": {
                    "characteristics_of_good": rng.choice(CHARACTERISTICS),
                    "causes_of_concern": concerns,
                },
            }
        )
    return docs
