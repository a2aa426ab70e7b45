"""Measuring the detectors on public labelled data: `sitroom eval KIND …` and `sitroom train KIND …`.

Each kind is a module here with `add_arguments(parser)` and `run(args) -> int` (exit code); the
evaluation uses the same code the workers run and ends its output with one JSON line.
"""

EVALUATIONS = ("sentiment", "topics", "nab")
TRAINING = ("sentiment",)
