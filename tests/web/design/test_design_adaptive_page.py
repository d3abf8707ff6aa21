"""The adaptive-design page: the core's (and rpact's) numbers, field-named errors, Spanish, and
who may open it."""

from __future__ import annotations

import re

import pytest
from login import signed_in_client
from trial_factory import FAST_HASHERS, make_users

from trialdesk.stats.design.combination import fisher_design, inverse_normal_design
from trialdesk.stats.design.conditional_power import conditional_power, theta_means
from trialdesk.stats.design.conditional_power_fisher import conditional_power_fisher, p_from_z
from trialdesk.stats.design.ssr import SampleSizeRule, next_size
from trialdesk.stats.design.ssr_fisher import next_size_fisher

ROLES = {"analyst": None, "dsmb_statistician": None, "monitor": None, "investigator": "CO-01",
         "pharmacist": "CO-01"}
PATH = "/design/adaptive/"
QUERY = {"test": "inverse-normal", "stages": 2, "alpha": 0.025, "kind": "obf",
         "information_rates": "0.5, 1", "alpha0": 1, "stage_n": "221, 221", "effect": 2,
         "sd": 7.5, "interim_z": "1.3", "target_cp": 0.8, "n_max": 663,
         "promising_low": 0.36, "promising_high": 0.8}


@pytest.fixture
def users(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_users([(role, role, site) for role, site in ROLES.items()])


def _figure(html: str, key: str) -> str:
    match = re.search(rf'<tr data-key="{key}"><th scope="row">[^<]+</th><td>([^<]+)</td>', html)
    assert match, key
    return match.group(1)


def test_default_inverse_normal_three_stages_shows_rpact_critical_values(users):
    # rpact getDesignInverseNormal(): criticalValues 3.4710914, 2.4544323, 2.0040356
    html = signed_in_client(users["analyst"]).get(PATH, {
        **QUERY, "stages": 3, "kind": "classical-obf", "information_rates": "",
        "stage_n": "100, 100, 100", "interim_z": ""}).content.decode()
    cells = re.findall(r'<td class="critical">([^<]+)</td>', html)
    assert [round(float(c), 6) for c in cells] == [3.471091, 2.454432, 2.004036]


def test_fisher_design_matches_rpact(users):
    # rpact getDesignFisher(): criticalValues 0.012308547, 0.0016635923, 0.00029106687
    html = signed_in_client(users["analyst"]).get(PATH, {
        **QUERY, "test": "fisher", "stages": 3, "information_rates": "",
        "stage_n": "100, 100, 100", "interim_z": ""}).content.decode()
    cells = re.findall(r'<td class="critical">([^<]+)</td>', html)
    assert cells == ["0.012308547", "0.0016635923", "0.00029106687"]


def test_interim_figures_and_plot_are_the_cores(users):
    response = signed_in_client(users["dsmb_statistician"]).get(PATH, QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    design = inverse_normal_design(2, kind="obf", information_rates=[0.5, 1.0])
    theta = theta_means(2.0, 7.5)
    assert _figure(html, "cp_planned") == f"{conditional_power(design, [1.3], [221], theta):.4f}"
    rule = SampleSizeRule((221, 221), n_max=663, promising=(0.36, 0.8))
    assert _figure(html, "next_n") == f"{next_size(design, rule, [1.3]):.1f}"
    power = re.findall(r'<td class="power">([^<]+)</td>', html)
    assert power[0] == "0.02500"  # H0: the inverse-normal test keeps alpha under re-estimation
    assert "<svg" in html and "<?xml" not in html


def test_fisher_interim_figures_and_plot_are_the_cores(users):
    query = {**QUERY, "test": "fisher", "alpha0": 0.5}
    response = signed_in_client(users["analyst"]).get(PATH, query)
    assert response.status_code == 200
    html = response.content.decode()
    design = fisher_design(2, alpha0=0.5, information_rates=[0.5, 1.0])
    p = p_from_z([1.3])
    theta = theta_means(2.0, 7.5)
    assert _figure(html, "cp_planned") == (
        f"{conditional_power_fisher(design, p, [221], theta).value:.4f}")
    rule = SampleSizeRule((221, 221), n_max=663, promising=(0.36, 0.8))
    assert _figure(html, "next_n") == f"{next_size_fisher(design, rule, p):.1f}"
    assert _figure(html, "product") == f"{p[0]:.8g}"
    power = re.findall(r'<td class="power">([^<]+)</td>', html)
    assert power[0] == "0.02500"  # H0: Fisher's test keeps alpha under re-estimation
    assert "<svg" in html and 'data-key="cp_method"' not in html


def test_fisher_three_stages_say_the_conditional_power_is_simulated(users):
    query = {**QUERY, "test": "fisher", "stages": 3, "information_rates": "",
             "stage_n": "100, 100, 100"}
    html = signed_in_client(users["analyst"], "es").get(PATH, query).content.decode()
    assert "Producto ponderado de los valores p" in html
    assert "se simula: 100000 ensayos, semilla 2011" in html
    design = fisher_design(3)
    cp = conditional_power_fisher(design, p_from_z([1.3]), [100, 100], theta_means(2.0, 7.5))
    assert _figure(html, "cp_planned") == f"{cp.value:.4f}".replace(".", ",")
    assert "<svg" not in html  # the plot is drawn for two-stage Fisher designs only


@pytest.mark.parametrize(("field", "value"), [
    ("alpha", "1.5"), ("stage_n", "221"), ("interim_z", "1, 1"), ("promising_high", ""),
    ("information_rates", "0.5"), ("sd", "-1")])
def test_bad_input_names_its_field(users, field, value):
    response = signed_in_client(users["analyst"]).get(PATH, {**QUERY, field: value})
    assert response.status_code == 400
    html = response.content.decode()
    target = "promising_high" if field == "promising_high" else field
    assert f'id="id_{target}-error"' in html


def test_page_speaks_spanish(users):
    html = signed_in_client(users["analyst"], "es").get(PATH, QUERY).content.decode()
    assert "Diseños adaptativos" in html
    assert "Potencia condicional, efecto previsto" in html
    assert _figure(html, "decision") == "continuar"
    cells = re.findall(r'<td class="critical">([^<]+)</td>', html)
    assert all("," in c for c in cells)  # Spanish decimal comma


@pytest.mark.parametrize("role", ["monitor", "investigator", "pharmacist"])
def test_roles_without_the_design_permission_are_refused(users, role):
    assert signed_in_client(users[role]).get(PATH).status_code == 403


def test_statisticians_see_the_page_and_its_link(users):
    client = signed_in_client(users["analyst"])
    assert client.get(PATH).status_code == 200
    assert 'href="/design/adaptive/"' in client.get("/design/boundaries/").content.decode()
