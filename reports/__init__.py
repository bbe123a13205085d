"""reports: builds the theory-vs-data report (``python -m reports``) from the layers' tidy tables."""
