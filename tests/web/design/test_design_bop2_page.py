"""The BOP2 page: the core's numbers, field-named errors, Spanish, and who may open it."""

from __future__ import annotations

import re

import pytest
from login import signed_in_client
from trial_factory import FAST_HASHERS, make_users

from trialdesk.stats.design import bop2

ROLES = {"analyst": None, "dsmb_statistician": None, "investigator": "CO-01"}
PATH = "/design/bop2/"
QUERY = {"endpoint": "joint", "looks": "10, 20, 30, 40",
         "null_cells": "0.15, 0.30, 0.15, 0.40", "alt_cells": "0.18, 0.42, 0.02, 0.38",
         "p0": "", "p1": "", "alpha": 0.05, "prior_ess": 1}


@pytest.fixture
def users(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_users([(role, role, site) for role, site in ROLES.items()])


def test_joint_design_shows_the_cores_boundaries_and_oc(users):
    response = signed_in_client(users["analyst"]).get(PATH, QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    design = bop2.calibrate(bop2.Bop2Problem((10, 20, 30, 40), (0.15, 0.30, 0.15, 0.40),
                                             (0.18, 0.42, 0.02, 0.38)), 0.05)
    eff = [int(v) if v != "—" else -1 for v in re.findall(r'<td class="eff">([^<]+)</td>', html)]
    tox = [int(v) if v != "—" else 41 for v in re.findall(r'<td class="tox">([^<]+)</td>', html)]
    assert tuple(eff) == design.bounds.eff_stop
    assert [min(t, n + 1) for t, n in zip(tox, (10, 20, 30, 40), strict=True)] == list(
        design.bounds.tox_stop)
    promising = re.findall(r'<td class="promising">([^<]+)</td>', html)
    assert promising == [f"{design.null_oc.p_promising:.4f}", f"{design.alt_oc.p_promising:.4f}"]
    assert float(promising[0]) <= 0.05
    assert "<svg" in html


def test_efficacy_only_has_no_toxicity_column(users):
    html = signed_in_client(users["dsmb_statistician"]).get(PATH, {
        **QUERY, "endpoint": "efficacy", "p0": 0.2, "p1": 0.4, "alpha": 0.1}).content.decode()
    design = bop2.calibrate(bop2.single_endpoint((10, 20, 30, 40), 0.2, 0.4), 0.1)
    cells = re.findall(r'<td class="eff">([^<]+)</td>', html)
    assert [int(v) if v != "—" else -1 for v in cells] == list(design.bounds.eff_stop)
    assert 'class="tox"' not in html


@pytest.mark.parametrize("changes,field", [
    ({"looks": "20, 10"}, "looks"),
    ({"looks": "10, 300"}, "looks"),
    ({"null_cells": "0.5, 0.5, 0.5, 0.5"}, "null_cells"),
    ({"alt_cells": ""}, "alt_cells"),
    ({"endpoint": "efficacy", "p0": 0.4, "p1": 0.2}, "p1"),
    ({"alpha": 1.5}, "alpha"),
])
def test_bad_input_is_a_400_naming_the_field(users, changes, field):
    response = signed_in_client(users["analyst"]).get(PATH, {**QUERY, **changes})
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in response.content.decode()


def test_spanish(users):
    client = signed_in_client(users["analyst"])
    client.cookies["django_language"] = "es"
    html = client.get(PATH, QUERY, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Límites de interrupción" in html and "Características operativas (exactas)" in html


def test_blank_form_and_who_may_open_it(users):
    assert signed_in_client(users["analyst"]).get(PATH).status_code == 200
    assert signed_in_client(users["investigator"]).get(PATH).status_code == 403
