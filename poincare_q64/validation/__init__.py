"""Validation campaigns and error analysis (docs/error-analysis.md).

Each script runs as ``python -m poincare_q64.validation.<name>`` (the
``validation`` extra installs what they need) and writes a Markdown report
with plots under ``validation/reports/`` of the current directory (``--out-dir``
/ ``--report-dir`` choose another); run from a checkout's root, that is the
directory of the committed reports.

campaign
    The correct-rounding campaign against a binary128 / exact oracle, on
    local processes or a Dask cluster (``--scheduler ADDRESS``).
pipeline_error, stability
    The Q64 and float pipelines' errors; behaviour as r -> 1.
compression_audit
    The sources' compression claims measured (the ``audit`` extra).
stage1_sin_search, stage1_phi_search, stage1_deferrals
    The searches behind the stage-1 kernels' error constants.
seed64_short_kernels
    rbe_seed64's short stage-1 kernels against the general ones on all
    2^24 of their inputs, at every SIMD level (prints a count; no report).
"""
