"""Benchmarks: measured in one run, reported as ratios. Not tests."""
