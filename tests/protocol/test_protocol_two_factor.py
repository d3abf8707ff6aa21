"""A protocol says which roles sign in with a one-time code (TOTP) after the password (issue 20)."""

from __future__ import annotations

import pytest

from trialdesk.protocol import ProtocolError, load_protocol, parse_protocol
from trialdesk.protocol.loader import default_protocol_path

PHARMACIST = 'code = "pharmacist"\n'


def _with_pharmacist_line(line: str):
    text = default_protocol_path().read_text(encoding="utf-8")
    assert text.count(PHARMACIST) == 1
    return parse_protocol(text.replace(PHARMACIST, PHARMACIST + line))


def test_the_default_protocol_requires_no_second_factor() -> None:
    # the demo's printed passwords sign in as they are; a trial turns it on role by role
    assert load_protocol().two_factor_roles() == frozenset()


def test_a_role_marked_two_factor_required_is_listed_and_the_others_are_not() -> None:
    protocol = _with_pharmacist_line("two_factor_required = true\n")
    assert protocol.two_factor_roles() == {"pharmacist"}
    assert protocol.role("pharmacist").two_factor_required
    assert not protocol.role("investigator").two_factor_required


def test_a_value_that_is_not_true_or_false_is_a_located_error() -> None:
    with pytest.raises(ProtocolError) as caught:
        _with_pharmacist_line('two_factor_required = "sometimes"\n')
    paths = [issue.path for issue in caught.value.issues]
    assert paths == ["roles[2].two_factor_required"]
    assert caught.value.issues[0].line is not None
