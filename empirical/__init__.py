"""empirical layer (see README)."""
