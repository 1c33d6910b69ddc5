"""What the worker reports back after an analysis: history, regressions, GitHub checks."""
