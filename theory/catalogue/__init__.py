"""The catalogue: every claim of the paper as printed, its checks and its verdict.

>>> from theory.catalogue import run_all, run_claim
>>> records = run_all()          # list of ClaimRecord
>>> run_claim("thm-4.1").verdict
'corrected'
"""
from ._core import (
    CORRECTION_KINDS,
    ORIGINS,
    VERDICTS,
    Check,
    ClaimRecord,
    Correction,
    Finding,
    claim,
    registry,
    resolve,
    run_all,
    run_claim,
    verdict_of,
)

__all__ = ["CORRECTION_KINDS", "ORIGINS", "VERDICTS", "Check", "ClaimRecord", "Correction", "Finding",
           "claim", "registry", "resolve", "run_all", "run_claim", "verdict_of"]
