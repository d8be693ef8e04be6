"""Validation campaigns and error analysis (issue 5); each script runs as
``python -m validation.<name>`` and writes a report under validation/reports/."""
