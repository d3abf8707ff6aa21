"""The statisticians' pages: the core's numbers, field-named errors, and who may open them."""

from __future__ import annotations

import re

import pytest
from login import signed_in_client
from trial_factory import FAST_HASHERS, make_users

from trialdesk.stats.design.boundaries import group_sequential_design
from trialdesk.stats.design.means import means_sample_size
from trialdesk.stats.design.proportions import proportions_sample_size
from trialdesk.stats.design.report import power_table
from trialdesk.stats.design.survival import survival_sample_size

ROLES = {"analyst": None, "dsmb_statistician": None, "data_manager": None, "monitor": None,
         "admin": None, "investigator": "CO-01", "pharmacist": "CO-01"}
PAGES = ["/design/", "/design/sample-size/proportions/", "/design/sample-size/survival/",
         "/design/sample-size/means/", "/design/boundaries/", "/design/report/",
         "/design/simulate/"]


@pytest.fixture
def users(db, settings):
    """One user per role, named by the role (``ROLES``: role -> site)."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_users([(role, role, site) for role, site in ROLES.items()])


def _cells(html: str, css_class: str) -> list[str]:
    return re.findall(rf'<td class="{css_class}">([^<]+)</td>', html)


def _figure(html: str, key: str) -> str:
    match = re.search(rf'<tr data-key="{key}"><th scope="row">[^<]+</th><td>([^<]+)</td>', html)
    assert match, key
    return match.group(1)


def test_obf_type_three_looks_shows_the_rpact_boundaries(users):
    # rpact getDesignGroupSequential(kMax = 3, alpha = 0.025, sided = 1, typeOfDesign = "asOF")
    html = signed_in_client(users["analyst"]).get(
        "/design/boundaries/", {"looks": 3, "alpha": 0.025, "sided": 1, "spending": "obf",
                                "gamma": -4, "rho": 3, "beta": 0.2, "futility": "none",
                                "futility_gamma": -2, "futility_rho": 2}).content.decode()
    assert _cells(html, "z") == ["3.7103", "2.5114", "1.9930"]
    assert "<svg" in html and "<?xml" not in html  # the plot, inline


def test_boundaries_with_futility_and_information_rates_match_the_core(users):
    query = {"looks": 3, "alpha": 0.025, "sided": 1, "spending": "hsd", "gamma": -4, "rho": 3,
             "information_rates": "0.2, 0.5, 0.7, 1", "beta": 0.2, "futility": "kd",
             "futility_gamma": -2, "futility_rho": 2, "n_fixed": 100}
    html = signed_in_client(users["dsmb_statistician"]).get("/design/boundaries/", query).content
    core = group_sequential_design(4, alpha=0.025, sided=1, spending="hsd", gamma=-4,
                                   information_rates=[0.2, 0.5, 0.7, 1], beta=0.2,
                                   futility="kd", futility_rho=2)
    assert _cells(html.decode(), "z") == [f"{z:.4f}" for z in core.upper]
    assert f"{core.max_sample_size(100):.1f}" in html.decode()


def test_sample_sizes_are_the_cores(users):
    client = signed_in_client(users["data_manager"])
    html = client.get("/design/sample-size/proportions/", {
        "p_control": 0.4, "p_treatment": 0.2, "alpha": 0.05, "sided": 2, "power": 0.8,
        "ratio": 1, "dropout": 0.1, "looks": 3, "spending": "obf",
        "futility": "none"}).content.decode()
    factor = group_sequential_design(3, alpha=0.05, beta=0.2, sided=2).inflation_factor
    core = proportions_sample_size(0.4, 0.2, alpha=0.05, power=0.8, sided=2, dropout=0.1,
                                   inflation_factor=factor)
    assert _figure(html, "n_per_arm") == str(core.n_per_arm)
    assert _figure(html, "n_total") == str(core.n_total)

    html = client.get("/design/sample-size/survival/", {
        "hazard_ratio": 0.6, "method": "schoenfeld", "alpha": 0.05, "sided": 2, "power": 0.8,
        "allocation": 0.5, "median_control": 12, "accrual_time": 24, "follow_up": 12,
        "dropout_hazard": 0, "dropout": 0, "looks": 1, "spending": "obf",
        "futility": "none"}).content.decode()
    core = survival_sample_size(0.6, median_control=12, accrual_time=24, follow_up=12)
    assert _figure(html, "events") == str(core.events) == "121"  # Schoenfeld (1983)
    assert _figure(html, "n_total") == str(core.n_total)

    html = client.get("/design/sample-size/means/", {
        "delta": 0.5, "sd": 1, "test_type": "two.sample", "alpha": 0.05, "sided": 2,
        "power": 0.8, "dropout": 0, "looks": 1, "spending": "obf",
        "futility": "none"}).content.decode()
    # R: power.t.test(delta = 0.5, sd = 1, power = 0.8) gives n = 63.77 per group -> 64
    assert _figure(html, "n_per_arm") == str(means_sample_size(0.5).n_per_arm) == "64"


def test_the_default_trials_report_is_the_cores_power_table(users):
    html = signed_in_client(users["analyst"]).get("/design/report/").content.decode()
    table = power_table()
    first = table["settings"][0]["entries"][0]
    assert "40 participants (20 per arm)" in html
    assert f"{first['power_normal']:.3f}" in html and f"{first['power_fisher']:.3f}" in html
    assert "one-sided 0.1" in html and "<svg" in html


@pytest.mark.parametrize(("path", "query", "field", "label"), [
    ("/design/boundaries/", {"looks": 3, "alpha": 1.5, "sided": 1, "spending": "obf",
                             "gamma": -4, "rho": 3, "beta": 0.2, "futility": "none",
                             "futility_gamma": -2, "futility_rho": 2}, "alpha", "Alpha"),
    ("/design/boundaries/", {"looks": 3, "alpha": 0.025, "sided": 1, "spending": "obf",
                             "gamma": -4, "rho": 3, "information_rates": "0.5, 0.9",
                             "beta": 0.2, "futility": "none", "futility_gamma": -2,
                             "futility_rho": 2}, "information_rates", "Information rates"),
    ("/design/sample-size/proportions/", {"p_control": 0.4, "p_treatment": 0.4, "alpha": 0.05,
                                          "sided": 2, "power": 0.8, "ratio": 1, "dropout": 0,
                                          "looks": 1, "spending": "obf", "futility": "none"},
     "p_treatment", "Event proportion, treatment"),
    ("/design/report/", {"n_total": 41, "p_control": 0.4, "p_treatments": "0.2",
                         "settings": "0.05:2", "power": 0.8}, "n_total", "Participants (1:1)"),
])
def test_bad_input_gives_a_form_error_naming_the_field(users, path, query, field, label):
    response = signed_in_client(users["analyst"]).get(path, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}-error"' in html
    assert re.search(rf'id="id_{field}-error">{re.escape(label)}: ', html)


def test_anonymous_users_are_sent_to_sign_in(client, db):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["monitor", "admin", "investigator", "pharmacist"])
def test_roles_without_a_statistician_permission_are_refused(users, role):
    client = signed_in_client(users[role])
    assert [client.get(path).status_code for path in PAGES] == [403] * len(PAGES)
    assert client.post("/design/simulate/", {"spec": "x", "sims": 1000}).status_code == 403
    assert "/design/" not in client.get("/").content.decode()  # no nav link either


@pytest.mark.parametrize("role", ["analyst", "dsmb_statistician", "data_manager"])
def test_statisticians_may_open_every_page_and_see_the_nav_link(users, role):
    client = signed_in_client(users[role])
    assert [client.get(path).status_code for path in PAGES] == [200] * len(PAGES)
    assert 'href="/design/"' in client.get("/").content.decode()


def test_pages_speak_spanish(users):
    html = signed_in_client(users["analyst"], "es").get("/design/boundaries/", {
        "looks": 3, "alpha": 0.025, "sided": 1, "spending": "obf", "gamma": -4, "rho": 3,
        "beta": 0.2, "futility": "none", "futility_gamma": -2,
        "futility_rho": 2}).content.decode()
    assert "Límites de diseño secuencial por grupos" in html
    assert _cells(html, "z") == ["3,7103", "2,5114", "1,9930"]  # Spanish decimal comma


def test_the_power_curves_speak_the_readers_language(users):
    """The plot's title, axes and legend, kept as text (issue 19)."""
    def plot_texts(language: str) -> str:
        html = signed_in_client(users["analyst"], language).get("/design/report/").content
        figure = re.search(r"<figure[^>]*>(.*?)</figure>", html.decode(), re.S).group(1)
        return " ".join(re.findall(r"<text[^>]*>(.*?)</text>", figure, re.S))

    spanish = plot_texts("es")
    for words in ("Qué pueden detectar 40 participantes (20 por brazo)", "potencia",
                  "proporción de eventos con el tratamiento (control 40 %)",
                  "unilateral 0.1: aproximación normal", "bilateral 0.05: prueba z, exacta",
                  "Fisher, exacta"):
        assert words in spanish, words
    for english in ("can detect", "power", "treatment", "sided", "approximation"):
        assert english not in spanish, english
    assert "What 40 participants (20 per arm) can detect" in plot_texts("en")
