"""The protocol's optional [product] section (issue 18): release tests with their kinds and
limits, the dose and its rounding, temperature ranges, the post-thaw window, resupply and the
forecast's target; an incoherent section is a located error; `protocol show` prints it in English
and Spanish."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialdesk.protocol import ProtocolError, load_protocol, parse_protocol
from trialdesk.protocol.loader import default_protocol_path
from trialdesk.protocol.product_summary import product_lines
from trialdesk.protocol.summary import summarize

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = '''
[product]
dose_cells_per_kg = 2e6
max_weight_kg = 200
nominal_cells_per_ml = 2e6
post_thaw_hours = 6
shelf_life_days = 180
storage_celsius = [-196, -135]
shipping_celsius = [-90, -60]
excursion_grace_minutes = 5
resupply_minimum_per_arm = 1
stockout_target = 0.1
forecast_days = 21
dose_rounding = { cells_step = 1e7, volume_step_ml = 0.5, mode = "down" }
[[product.release_tests]]
code = "viability"
label = "Viability"
label_es = "Viabilidad"
kind = "min"
limit = 80
unit = "%"
cell_lot_only = true
[[product.release_tests]]
code = "sterility"
label = "Sterility"
label_es = "Esterilidad"
kind = "pass"
'''


def test_the_default_protocol_states_the_product_rules():
    rules = load_protocol(default_protocol_path()).product
    assert rules is not None
    assert rules.dose_cells_per_kg == 1e6 and rules.dose_cap_cells == 1e8
    assert (rules.dose_rounding.cells_step, rules.dose_rounding.volume_step_ml,
            rules.dose_rounding.mode) == (1e6, 0.1, "nearest")
    assert rules.post_thaw_hours == 4 and rules.forecast_days == 14
    assert rules.stockout_target == 0.05 and rules.resupply_minimum_per_arm == 2
    assert rules.storage_celsius == (-196, -150) and rules.shipping_celsius == (-196, -150)
    by_code = {test.code: test for test in rules.release_tests}
    assert set(by_code) == {"viable_cells", "viability", "sterility", "endotoxin", "mycoplasma",
                            "cd73_cd90_cd105", "cd45_cd34"}
    assert (by_code["viability"].kind, by_code["viability"].limit) == ("min", 70)
    assert (by_code["endotoxin"].kind, by_code["endotoxin"].limit) == ("max", 0.5)
    assert (by_code["cd45_cd34"].kind, by_code["cd45_cd34"].limit) == ("max", 2)
    assert by_code["sterility"].kind == "pass" and by_code["sterility"].limit is None
    # the tests a placebo (vehicle) lot can pass are not marked cells-only
    assert {code for code, test in by_code.items() if not test.cell_lot_only} == {
        "sterility", "endotoxin", "mycoplasma"}
    assert by_code["viability"].label_text("es") == "Viabilidad"


def test_the_default_protocol_lists_the_product_among_its_assumptions():
    protocol = load_protocol(default_protocol_path())
    assert any(assumption.path == "product" for assumption in protocol.assumptions)


def _with(section: str):
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    return parse_protocol(text + section, file="minimal.toml")


def test_the_section_is_optional_and_read_when_given():
    assert _with("").product is None
    rules = _with(SECTION).product
    assert rules.dose_rounding.mode == "down" and rules.dose_cap_cells is None
    assert rules.release_test("sterility").kind == "pass"
    assert product_lines(None) == []


@pytest.mark.parametrize(("change", "path", "words"), [
    (('kind = "pass"', 'kind = "pass"\nlimit = 1'), "product.release_tests", "has no limit"),
    (("limit = 80\n", ""), "product.release_tests", "needs a limit"),
    (('kind = "min"', 'kind = "at_least"'), "product.release_tests", ""),
    (('code = "sterility"', 'code = "viability"'), "product", "given twice"),
    (("storage_celsius = [-196, -135]", "storage_celsius = [-135, -196]"),
     "product.storage_celsius", "below its high end"),
    (("shipping_celsius = [-90, -60]", "shipping_celsius = [-90]"), "product.shipping_celsius",
     ""),
    (("resupply_minimum_per_arm = 1", "resupply_minimum_per_arm = 0"),
     "product.resupply_minimum_per_arm", ""),
    (("stockout_target = 0.1", "stockout_target = 1.5"), "product.stockout_target", ""),
    (("max_weight_kg = 200", "max_weight_kg = 0"), "product.max_weight_kg", ""),
    (('mode = "down"', 'mode = "up"'), "product.dose_rounding", ""),
    (("forecast_days = 21", "forecast_days = 21\nforecast_weeks = 3"), "product", ""),
])
def test_a_bad_section_is_a_located_error(change, path, words):
    assert change[0] in SECTION
    with pytest.raises(ProtocolError) as caught:
        _with(SECTION.replace(*change, 1))
    issues = caught.value.issues
    assert any(issue.path.startswith(path) for issue in issues), issues
    assert words in str(caught.value)


def test_protocol_show_prints_the_product_in_english():
    text = summarize(load_protocol(default_protocol_path()), "en")
    section = text.split("Cell product:")[1].split("\n\n")[0]
    assert "Viability >= 70 % (cell lots only)" in section
    assert "Sterility: pass" in section and "Endotoxin <= 0.5 EU/mL" in section
    assert "Dose: 1e6 cells/kg, at most 1e8 cells; a weight above 300 kg is refused" in section
    assert "cells to the nearest (half up) 1e6" in section and "0.1 mL" in section
    assert "Storage -196 to -150 °C" in section and "longer than 10 min" in section
    assert "within 4 h of thaw; shelf life 365 days" in section
    assert "either arm has 2 usable kits or fewer" in section and "14-day" in section
    assert "at or below 5%" in section


def test_protocol_show_prints_the_product_in_spanish():
    text = summarize(load_protocol(default_protocol_path()), "es")
    section = text.split("Producto celular:")[1].split("\n\n")[0]
    assert "Viabilidad >= 70 % (solo lotes con células)" in section
    assert "Esterilidad: conforme" in section and "Endotoxinas <= 0,5 EU/mL" in section
    assert "Dosis: 1e6 células/kg, como máximo 1e8 células" in section
    assert "0,1 mL" in section and "Almacenamiento -196 a -150 °C" in section
    assert "4 h tras la descongelación" in section and "5 % o menos" in section
    assert "Cell product" not in text


def test_a_protocol_without_the_section_shows_none():
    assert "Cell product" not in summarize(_with(""), "en")
