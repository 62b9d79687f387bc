"""Settings shared by every test tree: property tests judge results, never how fast a shared machine ran them."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# Hypothesis's default 200 ms deadline per example fails a correct property when CI's two cores are busy with
# Asterisk and the suite's other processes; the properties themselves are what the tests hold.
settings.register_profile("tongdai", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("tongdai")
