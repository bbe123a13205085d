"""Worked examples of user assumptions (see docs/simulate.md, "Checking a new assumption")."""
