"""Scripts that generate the committed constant tables from mpmath."""
