"""A role's permissions come from the closed list: a misspelt one is a located protocol error."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialdesk.blinding import ALL_PERMISSIONS, Permission
from trialdesk.protocol import ProtocolError, load_protocol, parse_protocol

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = "bad_permission.toml"


def line_of(text: str) -> int:
    """Return the number of the line that reads ``text`` (surrounding blanks aside)."""
    lines = (FIXTURES / FIXTURE).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.strip() == text)


def permission_issues() -> list:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(FIXTURES / FIXTURE)
    return caught.value.issues


def test_misspelt_permission_names_file_line_path_rule_and_the_likely_intent() -> None:
    issue = next(issue for issue in permission_issues() if issue.path == "roles[0].permissions[1]")
    assert issue.rule == "permission-known"
    assert issue.file.endswith(FIXTURE)
    assert issue.line == line_of('permissions = ["screen", "randomise"]')
    assert issue.message == "unknown permission 'randomise'; did you mean 'randomize'?"
    assert str(issue).startswith(f"{issue.file}:{issue.line}: roles[0].permissions[1]: ")
    assert str(issue).endswith("[permission-known]")


def test_permission_unlike_any_known_one_lists_the_allowed_names() -> None:
    issue = next(issue for issue in permission_issues() if issue.path == "roles[1].permissions[1]")
    assert issue.rule == "permission-known"
    # an array written over several lines is located at its key
    assert issue.line == line_of("permissions = [")
    assert "unknown permission 'approve_everything'; known: screen, enroll, " in issue.message
    assert all(name in issue.message for name in ALL_PERMISSIONS)


def test_every_unknown_permission_is_reported_at_once() -> None:
    assert [(issue.path, issue.rule) for issue in permission_issues()] == [
        ("roles[0].permissions[1]", "permission-known"),
        ("roles[1].permissions[1]", "permission-known"),
    ]


@pytest.mark.parametrize("written", ["3", '["randomize"]', "{ name = 'randomize' }"])
def test_a_permission_that_is_not_a_name_is_refused_with_the_same_rule(written: str) -> None:
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    text = text.replace(
        'permissions = ["screen", "randomize"]', f'permissions = ["screen", {written}]'
    )
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, file="minimal.toml")
    [issue] = caught.value.issues
    assert (issue.path, issue.rule) == ("roles[0].permissions[1]", "permission-known")


def test_bundled_protocol_validates_and_grants_only_listed_permissions() -> None:
    protocol = load_protocol()
    granted = {permission for role in protocol.roles for permission in role.permissions}
    assert all(isinstance(permission, Permission) for permission in granted)
    assert granted <= ALL_PERMISSIONS
    # the five the issue found declared but unchecked are on the list too
    assert {"report_ae", "recommend", "manage_users", "manage_sites", "manage_protocol"} <= granted


def test_permissions_load_as_the_names_the_file_writes() -> None:
    investigator = load_protocol(FIXTURES / "minimal.toml").role("investigator")
    assert investigator.permissions == [Permission.SCREEN, Permission.RANDOMIZE]
    assert investigator.permissions == ["screen", "randomize"]
    assert investigator.model_dump(mode="json")["permissions"] == ["screen", "randomize"]


def test_a_form_may_name_the_permission_it_needs_and_it_must_be_on_the_list():
    """The adverse-event log needs report_ae; a misspelt one is refused like a role's."""
    from pydantic import ValidationError

    from trialdesk.protocol.capture import Form

    protocol = load_protocol()
    assert {form.code: form.permission for form in protocol.forms if form.permission} == {
        "adverse_event": "report_ae"}
    base = {"code": "ae", "title": {"en": "AE"}, "repeating": True, "fields": []}
    assert Form(**base, permission="report_ae").permission == "report_ae"
    with pytest.raises(ValidationError, match="did you mean 'report_ae'"):
        Form(**base, permission="report_ea")
