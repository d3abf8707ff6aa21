"""The protocol's optional [deviations] section: categories with translated labels (two of them
may unblind), the severities' definitions and the ethics report window; a repeated category or a
missing definition is a located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialdesk.protocol import ProtocolError, load_protocol, parse_protocol
from trialdesk.protocol.loader import default_protocol_path

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = '''
[deviations]
ethics_report_days = 5
major = "Affects rights, safety or key data."
minor = "Anything else."
[[deviations.categories]]
code = "consent"
label = { en = "Consent", es = "Consentimiento" }
[[deviations.categories]]
code = "allocation"
label = "Allocation"
may_unblind = true
'''


def test_the_default_protocol_declares_categories_in_both_languages():
    rules = load_protocol(default_protocol_path()).deviations
    assert rules is not None and rules.ethics_report_days == 7
    codes = [category.code for category in rules.categories]
    assert {"eligibility", "consent", "allocation", "study_treatment", "visit_window",
            "procedure_not_done", "safety_reporting", "data_privacy", "other"} == set(codes)
    assert sorted(c.code for c in rules.categories if c.may_unblind) == [
        "allocation", "study_treatment"]
    assert all(c.label.missing(["en", "es"]) == [] for c in rules.categories)
    assert rules.major.text("es").startswith("Una desviación")
    assert rules.category("consent").label.text("es") == "Consentimiento informado"
    assert rules.category("weather") is None


def _with(section: str):
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    return parse_protocol(text + section, file="minimal.toml")


def test_the_section_is_optional_and_read_when_given():
    assert _with("").deviations is None
    assert _with(SECTION).deviations.category("allocation").may_unblind


@pytest.mark.parametrize(("change", "path"), [
    (('code = "allocation"', 'code = "consent"'), "deviations.categories"),
    (('minor = "Anything else."\n', ""), "deviations.minor"),
    (("ethics_report_days = 5", "ethics_report_days = -1"), "deviations.ethics_report_days"),
])
def test_a_bad_section_is_a_located_error(change, path):
    with pytest.raises(ProtocolError) as caught:
        _with(SECTION.replace(*change))
    assert any(issue.path.startswith(path) or issue.path == "deviations"
               for issue in caught.value.issues), caught.value.issues
