"""The trial of the server tests, built through the real actions: sites, users, the allocation list.

- ``make_trial(settings)``: the three sites (activated: only an active site screens, consents and
  randomizes), one user per demo role per site (``<role>-co-01`` ..., trial-wide roles by their
  name), all with ``PASSWORD``, and the committed allocation list.
- ``make_users(accounts)``: the sites (activated) and the users named, without an allocation list;
  ``open_sites=False`` leaves the sites planned, as the server stores them.
- ``activate_sites()``: activate every planned site through the administrator's action.
- ``create_user(username, role, site)``: one more user, through the action.
- ``make_trial_wide_users_without_audit(roles)``: users written straight to the tables.
- ``write_minimization_protocol(folder)`` and ``protocol_in_use(settings, path)``: the bundled
  protocol with minimization instead of permuted blocks, and a protocol for one test.

``settings`` is pytest-django's fixture: ``make_trial`` sets a fast password hasher for the test.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api_client import ApiClient

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PASSWORD = "correct horse battery staple"
TEST_SEED = b"test-seed-0123456789abcdef"
# the bundled protocol's randomization section, and the same with minimization
BLOCKS = 'method = "permuted-blocks"\nblock_sizes = [2, 4]\n'
MINIMIZATION = 'method = "minimization"\nparameters = { p = 0.8 }\n'


@dataclass
class Trial:
    """The loaded trial: users by name, and an API client per user."""

    users: dict[str, Any]

    def api(self, username: str) -> ApiClient:
        """A JSON client with a new API token of the user (a token per call)."""
        return ApiClient(self.users[username])

    def set_password(self, password: str) -> None:
        """Give every user ``password`` (hashed with the test's hasher)."""
        for user in self.users.values():
            user.set_password(password)
            user.save(update_fields=["password"])


def create_user(username: str, role: str, site: str | None, password: str = PASSWORD) -> Any:
    """Create one user through the action; return it."""
    from django.contrib.auth import get_user_model

    from trialdesk.web.accounts import actions as account_actions

    account_actions.do_create_user(actor="test", username=username, role=role, site=site,
                                   password=password)
    return get_user_model().objects.get(username=username)


def activate_sites() -> None:
    """Activate every planned site (as an administrator named ``test``, audited like any change):
    the server stores a site planned, and only an active site brings a new patient in."""
    from trialdesk.web.core.actor import Actor
    from trialdesk.web.core.models import Site
    from trialdesk.web.core.protocol import get_policy
    from trialdesk.web.trials.actions.sites import do_set_site_status

    administrator = Actor(user=None, username="test", role="admin", site=None, language="en",
                          policy=get_policy())
    for code in Site.objects.filter(status=Site.PLANNED).values_list("code", flat=True):
        do_set_site_status(administrator, code, Site.ACTIVE, reason="The test trial opens.")


def make_users(accounts: Iterable[tuple[str, str, str | None]], password: str = PASSWORD, *,
               open_sites: bool = True) -> dict[str, Any]:
    """Load the protocol's sites (activated unless ``open_sites`` is false) and create the
    ``(username, role, site)`` accounts; return every user by name. (Set
    ``settings.PASSWORD_HASHERS = FAST_HASHERS`` first: hashing is slow.)"""
    from django.contrib.auth import get_user_model

    from trialdesk.web.accounts import actions as account_actions
    from trialdesk.web.trials import actions

    actions.do_load_sites(actor="test")
    if open_sites:
        activate_sites()
    for username, role, site in accounts:
        account_actions.do_create_user(actor="test", username=username, role=role, site=site,
                                       password=password)
    return {user.username: user for user in get_user_model().objects.all()}


def make_trial(settings: Any, *, seed: bytes = TEST_SEED,
               slots_per_stratum: int | None = None, open_sites: bool = True) -> Trial:
    """Sites (activated unless ``open_sites`` is false), one user per role per site
    (``<role>-co-01`` ...), and the list committed from ``seed`` (``slots_per_stratum``: the
    action's default when ``None``)."""
    from trialdesk.web.trials import actions
    from trialdesk.web.trials.demo import demo_usernames

    settings.PASSWORD_HASHERS = FAST_HASHERS
    users = make_users(demo_usernames(), open_sites=open_sites)
    size = {} if slots_per_stratum is None else {"slots_per_stratum": slots_per_stratum}
    actions.do_commit_allocation_list(actor="test", seed=seed, **size)
    return Trial(users)


def make_trial_wide_users_without_audit(roles: list[str]) -> dict[str, Any]:
    """Users with a trial-wide role, written straight to the tables.

    For tests on a transactional database (a background thread must see committed rows): the
    flush between such tests cannot empty the append-only audit trail, so nothing may write one.
    """
    from django.contrib.auth import get_user_model

    from trialdesk.web.core.models import Membership

    users = {}
    for role in roles:
        user = get_user_model().objects.create_user(username=role)
        Membership.objects.create(user=user, role=role)
        users[role] = user
    return users


def write_minimization_protocol(folder: Path) -> Path:
    """Write the bundled protocol with its ``[design.randomization]`` switched to minimization to
    ``folder/minimization.toml``; return the path."""
    from trialdesk.protocol import default_protocol_path

    text = default_protocol_path().read_text()
    assert BLOCKS in text, "the bundled protocol's randomization section changed"
    path = folder / "minimization.toml"
    path.write_text(text.replace(BLOCKS, MINIMIZATION))
    return path


@contextmanager
def protocol_in_use(settings: Any, path: Path) -> Iterator[Path]:
    """Run the server code on the protocol at ``path`` (its cached protocol and policy are
    cleared on entry and on exit)."""
    from trialdesk.web.core.protocol import get_policy, get_protocol

    settings.TRIALDESK_PROTOCOL = str(path)
    get_protocol.cache_clear()
    get_policy.cache_clear()
    try:
        yield path
    finally:
        get_protocol.cache_clear()
        get_policy.cache_clear()
