"""The closed list of permissions: described, complete for the code that checks them, enforced."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import trialdesk
from trialdesk.blinding import (
    ALL_PERMISSIONS,
    BlindingPolicy,
    Permission,
    UnknownPermission,
)
from trialdesk.protocol import load_protocol

POLICY = BlindingPolicy(load_protocol())
WEB = Path(trialdesk.__file__).parent / "web"

# Where the server names a permission: actor.can("x"), require(actor, "x"), @action("x"),
# {{ actor|can:"x" }}, permission="x", X_PERMISSION = "x", and groups of them:
# X_PERMISSIONS = (...), can_any((...)), require(actor, (...)), @action((...)), permission=(...),
# permissions & {...}.
_CALLS = r"\bcan\(|\bcan_any\(|\brequire\(\s*\w+\s*,|\baction\(|\|can:|permission\s*[=:]"
_ONE = re.compile(rf"""(?:{_CALLS}|_PERMISSION\s*=)\s*["']([^"']+)["']""", re.IGNORECASE)
_GROUP = re.compile(
    rf"""(?:{_CALLS}|_PERMISSIONS\s*=|permissions\s*&)\s*[(\[{{]([^)\]}}]*)""", re.IGNORECASE
)
_NAME = re.compile(r"""["']([^"']+)["']""")


def permissions_named_by_the_server() -> dict[str, set[str]]:
    """Return each permission string found in the web code, with the files naming it."""
    found: dict[str, set[str]] = {}
    for path in sorted(WEB.rglob("*")):
        if path.suffix not in (".py", ".html") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        names = [match.group(1) for match in _ONE.finditer(text)]
        for group in _GROUP.finditer(text):
            names.extend(_NAME.findall(group.group(1)))
        for name in names:
            found.setdefault(name, set()).add(str(path.relative_to(WEB)))
    return found


def test_every_permission_has_a_one_line_description() -> None:
    for permission in Permission:
        description = permission.description
        assert description and "\n" not in description, permission
        assert description[0].isupper() and description.endswith("."), permission
        assert len(description) <= 100, permission
    assert len({permission.description for permission in Permission}) == len(Permission)


def test_all_permissions_are_the_names_of_the_list() -> None:
    assert {permission.value for permission in Permission} == ALL_PERMISSIONS
    assert "randomize" in ALL_PERMISSIONS and Permission("randomize") is Permission.RANDOMIZE
    assert all(re.fullmatch(r"[a-z][a-z_]*", name) for name in ALL_PERMISSIONS)


def test_every_permission_the_server_checks_is_on_the_list() -> None:
    found = permissions_named_by_the_server()
    assert len(found) >= 10, f"the scan of {WEB} found too little: {sorted(found)}"
    unknown = {name: sorted(files) for name, files in found.items() if name not in ALL_PERMISSIONS}
    assert not unknown, f"permissions checked by the server but not on the list: {unknown}"


def test_has_permission_refuses_a_permission_not_on_the_list() -> None:
    with pytest.raises(UnknownPermission, match="did you mean 'randomize'"):
        POLICY.has_permission("investigator", "randomise")
    with pytest.raises(ValueError, match="unknown permission 'sudo'; known: screen, "):
        POLICY.has_permission("admin", "sudo")


def test_has_permission_answers_for_listed_names_and_members() -> None:
    assert POLICY.has_permission("investigator", "randomize")
    assert POLICY.has_permission("investigator", Permission.RANDOMIZE)
    assert not POLICY.has_permission("pharmacist", Permission.RANDOMIZE)
    assert not POLICY.has_permission("monitor", "design")  # on the list, granted to no role


def test_policy_refuses_a_role_granting_a_permission_not_on_the_list() -> None:
    role = SimpleNamespace(code="investigator", site_scoped=True, sees_arm="never",
                           permissions=["screen", "enrol"])
    with pytest.raises(UnknownPermission, match="did you mean 'enroll'"):
        BlindingPolicy(SimpleNamespace(roles=[role]))
