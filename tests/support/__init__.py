"""Test-support code shared by the test lanes and the benchmarks (not tests themselves)."""
