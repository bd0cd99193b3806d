"""Ratio benchmarks of chaingrad against PyTorch and hand-written NumPy (run with `chaingrad bench`)."""
