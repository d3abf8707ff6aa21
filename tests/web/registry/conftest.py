"""The registry tests' trial: its sites planned, as the server stores them, so that each test
activates (and so publishes) exactly the sites it names (tests/web/conftest.py's trial has every
site active)."""

from __future__ import annotations

from typing import Any

import pytest
from trial_factory import Trial, make_trial


@pytest.fixture
def trial(db: Any, settings: Any) -> Trial:
    """Sites (planned), one user per role per site, and the committed list."""
    return make_trial(settings, open_sites=False)
