"""Shared test conventions.

- ``test_output_dir``: a git-ignored folder where tests leave screenshots, plots and reports for a
  person to look at (``test-output/<test module>/``).
- ``postgres_url``: the PostgreSQL server for tests marked ``postgres``; its URL comes from
  ``TRIALDESK_TEST_POSTGRES_URL`` (``scripts/test`` sets it to the local server).
- ``test_data`` (``TEST_DATA``): ``tests/data/``, the reference files tests read (the registry page,
  the CDISC pilot ADTTE, a ClinicalTrials.gov example), each with its source and licence in
  ``tests/data/README.md``. Tests read no file outside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_OUTPUT_ROOT = REPO_ROOT / "test-output"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def test_output_dir(request: pytest.FixtureRequest) -> Path:
    module = request.node.module.__name__.replace(".", "_")
    folder = TEST_OUTPUT_ROOT / module
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def test_data() -> Path:
    """``tests/data/``. A fixture rather than an import: ``conftest`` names more than one module."""
    return TEST_DATA


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TRIALDESK_TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "TRIALDESK_TEST_POSTGRES_URL is not set; scripts/test sets it to the local server"
        )
    return url
