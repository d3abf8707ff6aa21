"""Issue 18: the infusion form accepts only the kit assigned to that participant at randomization.

Another participant's kit (same site or another), an unknown code or any other text is refused
with a 422 naming ``kit_code`` (page and API), stores nothing, and says nothing about the other
kit: the refusal is the same text whichever code was typed.
"""

from __future__ import annotations

from enrollment import randomize
from login import signed_in_client

from trialdesk.web.capture.models import FormInstance

COORDINATOR = "coordinator-co-01"
INFUSION = {"infusion_start": "2026-01-06T10:00", "infusion_end": "2026-01-06T11:00",
            "infusion_reaction": "no"}


def _api_path(code: str) -> str:
    return f"/api/v1/participants/{code}/visits/day1/forms/infusion"


def _page_path(code: str) -> str:
    return f"/capture/participants/{code}/day1/infusion/"


def _two_at_co01_one_at_co02(trial) -> tuple[tuple[str, str], tuple[str, str], tuple[str, str]]:
    return (randomize(trial.api("investigator-co-01")), randomize(trial.api("investigator-co-01")),
            randomize(trial.api("investigator-co-02")))


def test_the_api_refuses_every_kit_but_the_participants_own(trial):
    (code, kit), (_, neighbour_kit), (_, far_kit) = _two_at_co01_one_at_co02(trial)
    api = trial.api(COORDINATOR)
    refusals = []
    for typed in (neighbour_kit, far_kit, "ZZZZ-ZZZZ", "bag 7", neighbour_kit.lower()):
        response = api.put(_api_path(code), {"values": {**INFUSION, "kit_code": typed}})
        assert response.status_code == 422, (typed, response.content)
        fields = response.json()["fields"]
        assert [(f["field"], f["rule"]) for f in fields] == [("kit_code", "assigned_kit")]
        refusals.append(fields[0]["message"])
        assert typed.upper() not in response.content.decode().upper()
    # one text whatever the code: whose kit it is, or whether it exists, is not told
    assert len(set(refusals)) == 1 and "assigned" in refusals[0]
    assert not FormInstance.objects.filter(form="infusion").exists()
    accepted = api.put(_api_path(code), {"values": {**INFUSION, "kit_code": kit}})
    assert accepted.status_code == 201, accepted.content


def test_the_page_refuses_another_participants_kit_beside_the_field(trial):
    (code, kit), (_, neighbour_kit), _ = _two_at_co01_one_at_co02(trial)
    client = signed_in_client(trial.users[COORDINATOR])
    response = client.post(_page_path(code), {**INFUSION, "kit_code": neighbour_kit,
                                              "action": "save"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "is not the kit assigned to this participant" in body and "[assigned_kit]" not in body
    assert not FormInstance.objects.filter(form="infusion").exists()
    # the live check while typing says the same, and stores nothing either
    checked = client.post(_page_path(code) + "check/", {**INFUSION, "kit_code": neighbour_kit})
    assert checked.status_code == 200
    assert [p["field"] for p in checked.json()["problems"]] == ["kit_code"]
    saved = client.post(_page_path(code), {**INFUSION, "kit_code": kit, "action": "save"})
    assert saved.status_code == 302
    assert FormInstance.objects.get(form="infusion").values["kit_code"] == kit
