"""Validation campaigns and error analysis (docs/error-analysis.md).

Each script runs as ``python -m validation.<name>`` and writes a report
under validation/reports/."""
