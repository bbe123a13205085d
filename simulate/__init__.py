"""simulate layer (see README)."""
