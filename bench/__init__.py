"""Benchmarks at scale (issue 6): `python -m bench --help`.

Not a test suite: it generates synthetic archives (bench/generate.py), runs each measurement
group several times and prints medians with the ratio to a floor measured in the same run.
Generated data lives under bench/out/ (gitignored).
"""
