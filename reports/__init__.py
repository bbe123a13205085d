"""reports layer (see README)."""
