"""Checks of who may call an API operation and what a blinded role sees in the answer.

- ``users_lacking(users, permissions)``: the demo users whose role holds none of ``permissions``.
- ``refused_to_all(users, permissions, method, path, body, record_readers=...)``: the users
  lacking the permissions whose request is *not* refused as it should be (403; 404 on a record's
  URL for a role that reads no such record); an empty list when every one is refused.
- ``arm_leaks(user, response)``: what in the answer reveals an arm to ``user``'s role, if the
  role is blinded (an empty list for a role that sees arms).
"""

from __future__ import annotations

from typing import Any

from api_client import ApiClient


def role_of(user: Any) -> str:
    return user.memberships.get().role


def users_lacking(users: dict[str, Any], permissions: tuple[str, ...]) -> dict[str, Any]:
    """Return the users whose role holds none of ``permissions``."""
    from trialdesk.web.core.protocol import get_policy

    policy = get_policy()
    return {name: user for name, user in users.items()
            if not any(policy.has_permission(role_of(user), p) for p in permissions)}


def refused_to_all(users: dict[str, Any], permissions: tuple[str, ...], method: str, path: str,
                   body: Any = None, *, record_readers: tuple[str, ...] | None = None
                   ) -> list[tuple[str, int, int]]:
    """Send the request as every user lacking ``permissions``; return (user, status, expected)
    of each answer that is not the refusal expected.

    The refusal is 403, except on a URL that names a record (``record_readers``: the roles that
    may read that kind of record): a role that reads none is told 404, as for a record it may not
    see (``core.permissions.refuse``).
    """
    lacking = users_lacking(users, permissions)
    assert lacking, "every role holds the permission: nothing to check"
    blind = users_lacking(users, record_readers) if record_readers is not None else {}
    wrong = []
    for name, user in lacking.items():
        expected = 404 if name in blind else 403
        status = ApiClient(user).send(method, path, body).status_code
        if status != expected:
            wrong.append((name, status, expected))
    return wrong


def arm_leaks(user: Any, response: Any) -> list[str]:
    """Return what in ``response`` reveals an arm, if ``user``'s role may see none."""
    from trialdesk.blinding import arm_revealing_texts, find_leaks
    from trialdesk.web.core.protocol import get_policy, get_protocol

    if get_policy().sees_any_arm(role_of(user)):
        return []
    body = response.content.decode("utf-8", errors="replace")
    return find_leaks(body, arm_revealing_texts(get_protocol(), ["en", "es"]))
