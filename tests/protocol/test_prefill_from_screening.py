"""A visit's ``prefill_from_screening`` names forms of that visit (issue 16)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from trialdesk.protocol import load_protocol
from trialdesk.protocol.capture import Visit
from trialdesk.protocol.checks import check_protocol

TITLE = {"en": "Day 0", "es": "Día 0"}


def test_a_visit_prefills_only_its_own_forms():
    visit = Visit(code="day0", title=TITLE, day=0, forms=["respiratory"],
                  prefill_from_screening=["respiratory"])
    assert visit.prefill_from_screening == ["respiratory"]
    with pytest.raises(ValidationError, match="sofa, not a form of visit 'day0'"):
        Visit(code="day0", title=TITLE, day=0, forms=["respiratory"],
              prefill_from_screening=["sofa"])


def test_the_default_protocol_prefills_the_screening_forms_and_day0_respiratory():
    protocol = load_protocol()
    assert protocol.visit("screening").prefill_from_screening == [
        "demographics", "eligibility", "respiratory"]
    assert protocol.visit("day0").prefill_from_screening == ["respiratory"]
    assert check_protocol(protocol) == []  # the assumption naming it resolves
