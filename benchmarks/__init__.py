"""Measured speed: run by hand (`make bench`) or by CI as a report, never as timed tests."""
