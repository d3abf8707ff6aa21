"""Upgrading to several memberships per person (issue 20): each user's one membership stays,
active, and an API token issued before keeps working, bound to that membership."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0001_initial"), ("core", "0004_idempotent_answers")]
OLD_SECRET = "tdk_issued-before-the-upgrade"


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_token_issued_before_the_upgrade_acts_as_its_users_one_membership():
    from trialdesk.web.accounts.models import hash_token

    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="token-upgrade", password="!")
    site = old.get_model("core", "Site").objects.create(code="UP-02", name="Upgrade site")
    old.get_model("core", "Membership").objects.create(user=user, role="coordinator", site=site)
    old.get_model("accounts", "ApiToken").objects.create(
        user=user, key_hash=hash_token(OLD_SECRET), label="before")
    # (no audit row: the table is append-only, and this test's database is flushed after it)
    try:
        _migrate(_latest())
        from trialdesk.web.accounts.models import ApiToken
        from trialdesk.web.api.auth import token_user
        from trialdesk.web.core.actor import acting_membership
        from trialdesk.web.core.models import Membership

        membership = Membership.objects.get(user__username="token-upgrade")
        assert membership.active and membership.role == "coordinator"
        assert ApiToken.objects.get(label="before").membership == membership
        # (whether the role may be used is the delegation log's to say: not asked here)
        token_holder = token_user(hash_token(OLD_SECRET))
        assert token_holder.get_username() == "token-upgrade"
        assert acting_membership(token_holder) == membership
    finally:
        _migrate(_latest())
