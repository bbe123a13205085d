"""Shared test configuration.

Hypothesis profiles: ``ci`` (default; bounded, derandomized so CI is
reproducible), ``thorough`` (many more examples). Select with
``INFOGEO_HYPOTHESIS_PROFILE=thorough``.

Tests marked ``slow`` run everywhere, in a bounded form unless
``INFOGEO_FULL=1``; the ``full_scale`` fixture tells them which.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("INFOGEO_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def full_scale() -> bool:
    """True when INFOGEO_FULL=1: slow tests then run at the sizes the issues name."""
    return os.environ.get("INFOGEO_FULL", "0") == "1"
