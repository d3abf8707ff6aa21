"""Several roles per person at several sites (issue 20): a person acts as one membership at a
time, chosen after signing in, and sees and may do only what that membership's role at its site
allows, on the pages and through the API. Memberships are deactivated, never deleted; a role
that sees arms is never held beside a blinded one."""

from __future__ import annotations

import pytest
from api_client import ApiClient
from django.test import Client
from enrollment import screen
from login import login_page_client, signed_in_client
from trial_factory import PASSWORD, create_user

PERSON = "dana"
ROLE_PAGE = "/accounts/role/"
REASON = "Moved to the other site's team."


def _memberships(username: str = PERSON) -> dict[tuple[str, str | None], int]:
    from trialdesk.web.core.models import Membership

    return {(m.role, m.site.code if m.site else None): m.pk
            for m in Membership.objects.select_related("site").filter(user__username=username)}


def _audit(action: str) -> list:
    from trialdesk.web.core.models import AuditRecord

    return list(AuditRecord.objects.filter(action=action).order_by("seq"))


@pytest.fixture
def person(trial):
    """Dana: investigator at CO-01 and coordinator at CO-02; one participant screened at each
    site (by its own investigator). Return (user, code at CO-01, code at CO-02)."""
    from trialdesk.web.accounts.actions import do_add_membership

    user = create_user(PERSON, "investigator", "CO-01")
    do_add_membership(actor="test", username=PERSON, role="coordinator", site="CO-02")
    at_a = screen(trial.api("investigator-co-01"))["code"]
    at_b = screen(trial.api("investigator-co-02"))["code"]
    return user, at_a, at_b


def _choose(client: Client, role: str, site: str, next_url: str = "/") -> None:
    response = client.post(ROLE_PAGE, {"membership": _memberships()[(role, site)],
                                       "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url


def test_a_person_with_several_roles_chooses_one_and_sees_only_its_sites_participants(person):
    user, at_a, at_b = person
    client = signed_in_client(user)
    asked = client.get("/")
    assert asked.status_code == 302 and asked["Location"] == f"{ROLE_PAGE}?next=%2F"
    listed = client.get(ROLE_PAGE).content.decode()
    assert "Investigator · CO-01" in listed and "Study coordinator · CO-02" in listed

    _choose(client, "investigator", "CO-01")
    page = client.get("/").content.decode()
    assert at_a in page and at_b not in page
    assert "Switch role" in page
    assert client.get(f"/participants/{at_a}/").status_code == 200
    assert client.get(f"/participants/{at_b}/").status_code == 404

    _choose(client, "coordinator", "CO-02")
    page = client.get("/").content.decode()
    assert at_b in page and at_a not in page
    assert client.get(f"/participants/{at_a}/").status_code == 404
    assert client.get(f"/participants/{at_b}/").status_code == 200
    # a coordinator does not randomize: the page acts as the coordinator only, not as both
    assert client.get(f"/participants/{at_b}/randomize/").status_code == 403


def test_choosing_and_switching_are_audited(person):
    user, _, _ = person
    client = signed_in_client(user)
    _choose(client, "investigator", "CO-01")
    _choose(client, "coordinator", "CO-02")
    first, switch = _audit("choose_role")[-2:]
    assert first.actor == switch.actor == PERSON
    assert first.changes["role"] == {"old": None, "new": "investigator"}
    assert first.changes["site"] == {"old": None, "new": "CO-01"}
    assert switch.changes["role"] == {"old": "investigator", "new": "coordinator"}
    assert switch.changes["site"] == {"old": "CO-01", "new": "CO-02"}


def test_signing_in_on_the_login_page_leads_to_the_choice_then_to_the_page_asked(person):
    client = login_page_client(PERSON)
    asked = client.get("/screen/")
    assert asked["Location"] == f"{ROLE_PAGE}?next=%2Fscreen%2F"
    _choose(client, "investigator", "CO-01", next_url="/screen/")
    assert client.get("/screen/").status_code == 200


def test_the_choice_goes_to_no_other_site_and_only_to_ones_own_active_role(person, trial):
    user, _, _ = person
    client = signed_in_client(user)
    mine = _memberships()[("investigator", "CO-01")]
    away = client.post(ROLE_PAGE, {"membership": mine, "next": "https://evil.example/"})
    assert away["Location"] == "/"
    others = _memberships("investigator-co-02")[("investigator", "CO-02")]
    before = len(_audit("choose_role"))
    refused = client.post(ROLE_PAGE, {"membership": others, "next": "/"})
    assert refused.status_code == 422
    assert "Choose one of your active roles." in refused.content.decode()
    assert len(_audit("choose_role")) == before


def test_a_person_with_one_role_goes_straight_in_and_is_offered_no_switch(trial):
    client = signed_in_client(trial.users["investigator-co-01"])
    page = client.get("/")
    assert page.status_code == 200
    assert "Switch role" not in page.content.decode()


def test_the_api_acts_as_the_tokens_membership_only(person):
    _, at_a, at_b = person
    anonymous = Client()

    def token(**choice: str) -> ApiClient:
        answer = anonymous.post("/api/v1/auth/token",
                                {"username": PERSON, "password": PASSWORD, **choice},
                                content_type="application/json")
        assert answer.status_code == 201, answer.content
        client = ApiClient()
        client.headers = {"Authorization": f"Bearer {answer.json()['token']}"}
        return client

    unnamed = anonymous.post("/api/v1/auth/token", {"username": PERSON, "password": PASSWORD},
                             content_type="application/json")
    assert unnamed.status_code == 422 and "role" in unnamed.content.decode()

    as_a = token(role="investigator", site="CO-01")
    assert as_a.ok("GET", "/api/v1/me")["role"] == "investigator"
    codes = {row["code"] for row in as_a.ok("GET", "/api/v1/participants")}
    assert at_a in codes and at_b not in codes
    assert as_a.get(f"/api/v1/participants/{at_b}").status_code == 404

    as_b = token(role="coordinator", site="CO-02")
    assert as_b.ok("GET", "/api/v1/me") | {"permissions": None} == {
        "username": PERSON, "role": "coordinator", "site": "CO-02", "permissions": None}
    codes = {row["code"] for row in as_b.ok("GET", "/api/v1/participants")}
    assert at_b in codes and at_a not in codes
    assert as_b.post(f"/api/v1/participants/{at_b}/randomize", {}).status_code == 403


def test_a_session_with_several_roles_and_none_chosen_is_refused_by_the_api(person):
    user, _, _ = person
    answer = signed_in_client(user).get("/api/v1/participants")
    assert answer.status_code == 403
    assert "choose the one to act as" in answer.content.decode()


@pytest.mark.parametrize(("held", "added"), [
    (("investigator", "CO-01"), ("pharmacist", "CO-01")),
    (("pharmacist", "CO-02"), ("investigator", "CO-01")),
    (("dsmb_statistician", None), ("data_manager", None)),
])
def test_a_role_that_sees_arms_is_never_held_beside_a_blinded_one(trial, held, added):
    from trialdesk.web.accounts.actions import do_add_membership
    from trialdesk.web.core.errors import InvalidInput

    create_user(PERSON, *held)
    before, memberships = len(_audit("add_membership")), _memberships()
    with pytest.raises(InvalidInput) as refused:
        do_add_membership(actor="test", username=PERSON, role=added[0], site=added[1])
    unblinded, blinded = (held[0], added[0]) if held[0] in (
        "pharmacist", "dsmb_statistician") else (added[0], held[0])
    assert refused.value.field == "role"
    assert refused.value.rule == (f"{PERSON}: the role {unblinded} sees arms and the role "
                                  f"{blinded} is blinded: one person may not hold both")
    assert _memberships() == memberships and len(_audit("add_membership")) == before


def test_a_deactivated_role_still_counts_for_the_blinding_rule(trial):
    from trialdesk.web.accounts.actions import do_add_membership, do_deactivate_membership
    from trialdesk.web.core.errors import InvalidInput

    create_user(PERSON, "pharmacist", "CO-01")
    do_add_membership(actor="test", username=PERSON, role="pharmacist", site="CO-02")
    do_deactivate_membership(actor="test", username=PERSON, role="pharmacist", site="CO-01",
                             reason=REASON)
    with pytest.raises(InvalidInput, match="pharmacist sees arms"):
        do_add_membership(actor="test", username=PERSON, role="investigator", site="CO-01")


def test_a_role_held_already_is_refused_and_a_site_role_needs_its_site(person):
    from trialdesk.web.accounts.actions import do_add_membership
    from trialdesk.web.core.errors import InvalidInput, NotFound

    with pytest.raises(InvalidInput, match="dana already holds the role coordinator at CO-02"):
        do_add_membership(actor="test", username=PERSON, role="coordinator", site="CO-02")
    with pytest.raises(InvalidInput) as no_site:
        do_add_membership(actor="test", username=PERSON, role="coordinator", site=None)
    assert no_site.value.field == "site"
    with pytest.raises(NotFound, match="no user nobody"):
        do_add_membership(actor="test", username="nobody", role="monitor", site=None)


def test_the_blinded_administrator_adds_no_role_that_sees_arms(person, trial):
    from trialdesk.web.accounts.actions import do_add_membership_as
    from trialdesk.web.core.actor import actor_for
    from trialdesk.web.core.errors import InvalidInput

    admin = actor_for(trial.users["admin"])
    with pytest.raises(InvalidInput, match="the role pharmacist sees arms"):
        do_add_membership_as(admin, username="monitor", role="pharmacist", site="CO-01")
    added = do_add_membership_as(admin, username="monitor", role="data_manager", site=None)
    [record] = _audit("add_membership")[-1:]
    assert record.actor == "admin" and record.object_id == "monitor"
    assert record.changes["role"] == {"old": None, "new": "data_manager"}
    assert added.active


def test_a_deactivated_role_cannot_be_chosen_and_its_token_is_refused(person):
    from trialdesk.web.accounts.actions import do_deactivate_membership
    from trialdesk.web.accounts.models import ApiToken
    from trialdesk.web.core.models import Membership

    user, at_a, _ = person
    coordinator = Membership.objects.get(pk=_memberships()[("coordinator", "CO-02")])
    _, secret = ApiToken.issue(user, membership=coordinator)
    api = ApiClient()
    api.headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me").status_code == 200
    client = signed_in_client(user)
    _choose(client, "coordinator", "CO-02")

    do_deactivate_membership(actor="test", username=PERSON, role="coordinator", site="CO-02",
                             reason=REASON)
    [record] = _audit("deactivate_membership")[-1:]
    assert record.reason == REASON and record.changes["active"] == {"old": True, "new": False}
    assert Membership.objects.filter(pk=coordinator.pk, active=False).exists()  # kept

    assert api.get("/api/v1/me").status_code == 401
    # the session acted as it: now it acts as the one role left, investigator at CO-01
    page = client.get("/")
    assert page.status_code == 200 and at_a in page.content.decode()
    assert "Switch role" not in page.content.decode()
    listed = client.get(ROLE_PAGE).content.decode()
    assert "Investigator · CO-01" in listed and "coordinator" not in listed
    refused = client.post(ROLE_PAGE, {"membership": coordinator.pk, "next": "/"})
    assert refused.status_code == 422


def test_a_token_issued_without_a_choice_acts_as_the_first_active_role(person):
    user, _, _ = person
    api = ApiClient(user)  # the tests' helper: ApiToken.issue(user)
    assert api.ok("GET", "/api/v1/me")["site"] == "CO-01"


def test_the_administrators_list_shows_every_membership(person, trial):
    rows = {row["username"]: row for row in trial.api("admin").ok("GET", "/api/v1/users")}
    assert rows[PERSON]["memberships"] == [
        {"role": "investigator", "site": "CO-01", "active": True},
        {"role": "coordinator", "site": "CO-02", "active": True}]
    assert (rows[PERSON]["role"], rows[PERSON]["site"]) == ("investigator", "CO-01")


def test_the_command_lines_as_user_acts_as_the_persons_role_that_may_do_it(person, trial):
    from trialdesk.web.accounts.actions import do_add_membership
    from trialdesk.web.core.actor import actor_able_to

    do_add_membership(actor="test", username="monitor", role="admin", site=None)
    monitor = trial.users["monitor"]
    assert actor_able_to(monitor, "manage_sites").role == "admin"
    assert actor_able_to(monitor, "verify_source").role == "monitor"
    user, _, _ = person  # neither of Dana's roles manages sites: the action refuses by name
    assert actor_able_to(user, "manage_sites").role == "investigator"


def test_a_role_deactivated_after_it_was_chosen_is_refused_to_whatever_acts_as_it(person):
    """A queued job acts as the membership that started it (``actor_as``): deactivated since,
    the role is refused there as on the pages, so no report is built for a role taken away."""
    from trialdesk.web.accounts.actions import do_deactivate_membership
    from trialdesk.web.core.actor import actor_as
    from trialdesk.web.core.errors import Forbidden
    from trialdesk.web.core.models import Membership

    coordinator = Membership.objects.get(pk=_memberships()[("coordinator", "CO-02")])
    assert actor_as(coordinator).role == "coordinator"
    do_deactivate_membership(actor="test", username=PERSON, role="coordinator", site="CO-02",
                             reason=REASON)
    coordinator.refresh_from_db()
    with pytest.raises(Forbidden, match="deactivated"):
        actor_as(coordinator)
