"""Robustness suite (issue 13): hostile-but-fair inputs, concurrency and merge integrity, bounded in time."""
