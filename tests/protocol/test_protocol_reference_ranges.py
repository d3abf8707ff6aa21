"""A laboratory field's normal range (issue 21): the schema's rules with errors naming the field
and the rule, the bundled protocol's ranges with their published sources, and where a result falls
(LOW / NORMAL / HIGH), results beyond a limit of quantification included."""

from __future__ import annotations

import pytest

from trialdesk.protocol import ProtocolError, default_protocol_path, load_protocol
from trialdesk.protocol.amendment import diff_protocols, render_diff
from trialdesk.protocol.capture import FormField
from trialdesk.protocol.loader import parse_protocol
from trialdesk.protocol.reference_ranges import (
    HIGH,
    LOW,
    NORMAL,
    ReferenceLimits,
    ReferenceRange,
    classify,
)

CRP_RANGE = 'reference_range = { unit = "mg/L", low = 0.08, high = 3.1 }\n'


@pytest.fixture(scope="module")
def protocol_text() -> str:
    return default_protocol_path().read_text(encoding="utf-8")


def _issues(text: str) -> set[tuple[str, str]]:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, file="amended.toml")
    return {(issue.path, issue.message) for issue in caught.value.issues}


def test_the_bundled_protocol_states_each_range_beside_its_source(protocol_text):
    fields = load_protocol(default_protocol_path()).all_fields()
    ranges = {code: field.reference_range for code, field in fields.items()
              if field.reference_range is not None}
    assert set(ranges) == {"crp", "ferritin", "d_dimer", "lymphocytes", "il6"}
    # McMaster Textbook of Internal Medicine, "C-reactive protein (CRP) [S/P]": 0.08-3.1 mg/L
    assert (ranges["crp"].low, ranges["crp"].high, ranges["crp"].unit) == (0.08, 3.1, "mg/L")
    # Mayo Clinic, "Ferritin test": men 24-336 ng/mL, women 11-307 ng/mL
    assert ranges["ferritin"].limits_for("M") == ReferenceLimits(low=24, high=336)
    assert ranges["ferritin"].limits_for("F") == ReferenceLimits(low=11, high=307)
    assert ranges["ferritin"].limits_for("U") is None  # no range for an unknown sex
    # The Alfred Pathology Service, "D-Dimer": normal below 0.5 ug/mL FEU (500 ng/mL FEU)
    assert (ranges["d_dimer"].low, ranges["d_dimer"].high) == (None, 500)
    # NHLBI, "Lymphocytopenia": 1,000-4,800 per microlitre = 1.0-4.8 x 10^9/L
    assert (ranges["lymphocytes"].low, ranges["lymphocytes"].high) == (1.0, 4.8)
    # Roche Elecsys IL-6 method sheet: 95th percentile of healthy donors 7 pg/mL
    assert (ranges["il6"].low, ranges["il6"].high) == (None, 7)
    # every range has its source in a comment right above it in the file
    lines = protocol_text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("reference_range"):
            assert lines[number - 1].startswith("# ") and "http" in "".join(
                lines[number - 3:number]), line
    # the cytokines with no published healthy range for the protocol's assay have none
    for code in ("il1b", "tnf_alpha", "il10"):
        assert fields[code].reference_range is None


@pytest.mark.parametrize("replacement,message", [
    ('reference_range = { unit = "mg/dL", low = 0.08, high = 3.1 }\n',
     "the reference range's unit ('mg/dL') is not the field's ('mg/L')"),
    ('reference_range = { unit = "mg/L", low = 5, high = 3.1 }\n',
     "low (5) is greater than high (3.1)"),
    ('reference_range = { unit = "mg/L" }\n', "a reference range needs low, high or by_sex"),
    ('reference_range = { unit = "mg/L", by_sex = { F = {} } }\n',
     "a reference range needs a low or a high limit (or both)"),
])
def test_a_wrong_range_is_refused_naming_the_field_and_the_rule(protocol_text, replacement,
                                                                 message):
    assert protocol_text.count(CRP_RANGE) == 1
    forms = [form.code for form in load_protocol(default_protocol_path()).forms]
    crp = f"forms[{forms.index('laboratory')}].fields[0]"
    issues = _issues(protocol_text.replace(CRP_RANGE, replacement))
    assert any(path.startswith(crp) and message in text for path, text in issues), issues


def test_a_range_on_a_text_field_or_for_an_unknown_sex_is_refused():
    with pytest.raises(ValueError, match="a reference range applies to integer and decimal "
                                         "fields, not text fields"):
        FormField.model_validate({"code": "note", "label": "Note", "type": "text",
                                  "reference_range": {"unit": "", "high": 1}})
    with pytest.raises(ValueError, match="by_sex"):
        ReferenceRange.model_validate({"unit": "ng/mL", "by_sex": {"X": {"high": 1}}})


@pytest.mark.parametrize("value,expected", [
    (0.5, LOW), (1.0, NORMAL), (3.0, NORMAL), (4.8, NORMAL), (4.81, HIGH), ("", None),
    (None, None),
])
def test_a_number_is_low_normal_or_high_bounds_included(value, expected):
    assert classify(value, ReferenceLimits(low=1.0, high=4.8)) == expected


@pytest.mark.parametrize("limits,value,expected", [
    # below the LLOQ: surely under the upper limit of 7 (IL-6 <1.5 is normal)
    ({"high": 7}, {"censored": "<", "limit": 1.5}, NORMAL),
    # surely under a lower limit of 2, or maybe not: <5 may be 1 (LOW) or 3 (NORMAL)
    ({"low": 2, "high": 10}, {"censored": "<", "limit": 2}, LOW),
    ({"low": 2, "high": 10}, {"censored": "<", "limit": 5}, None),
    ({"high": 1}, {"censored": "<", "limit": 5}, None),
    # above the ULOQ: surely over an upper limit at or below it
    ({"high": 7}, {"censored": ">", "limit": 5000}, HIGH),
    ({"low": 1}, {"censored": ">", "limit": 5000}, NORMAL),
    ({"low": 1, "high": 9000}, {"censored": ">", "limit": 5000}, None),
])
def test_a_result_beyond_a_limit_of_quantification_only_where_the_limit_settles_it(
        limits, value, expected):
    assert classify(value, ReferenceLimits(**limits)) == expected


def test_no_range_no_indicator():
    assert classify(12.0, None) is None


def test_an_amendment_that_changes_a_range_says_so(protocol_text):
    old = parse_protocol(protocol_text)
    new = parse_protocol(protocol_text.replace(CRP_RANGE, CRP_RANGE.replace("3.1", "5")))
    lines = render_diff(diff_protocols(old, new), "en").splitlines()
    assert "  ~ forms.laboratory.fields.crp.reference_range.high: 3.1 -> 5" in lines
    assert new.form("laboratory").field("crp").reference_range.high == 5
