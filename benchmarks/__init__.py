"""Benchmarks: every figure against a floor measured in the same run.

    .venv/bin/python -m benchmarks run [--quick] [--only N] [--backend B]

See the README's Benchmarks section and ``benchmarks/harness.py``.
"""
