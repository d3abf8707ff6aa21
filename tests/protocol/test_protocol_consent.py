"""The protocol's optional [consent] section: document versions approved per site on their own
dates (the current version is the latest approved on or before a day), the LAR and witness rules,
the capacity deadline and the refusal's data rule; a bad section is a located error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from trialdesk.protocol import ProtocolError, load_protocol, parse_protocol
from trialdesk.protocol.consent import ALL_DATA, FOLLOW_UP, TREATMENT, refusal_effect, stops
from trialdesk.protocol.loader import default_protocol_path

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = '''
[consent]
lar_allowed = true
witness_when = ["signer_cannot_read", "lar"]
capacity_confirmation_days = 5
refusal_data_rule = "withdraw_all"
[[consent.versions]]
version = "1.0"
title = { en = "Consent 1.0", es = "Consentimiento 1.0" }
languages = ["en", "es"]
approvals = [{ site = "XX-01", date = "2020-02-01" }]
[[consent.versions]]
version = "2.0"
title = "Consent 2.0"
languages = ["en"]
approvals = [{ site = "XX-01", date = "2020-06-01" }]
'''


def _with(section: str):
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    return parse_protocol(text + section, file="minimal.toml")


def test_the_default_protocol_approves_version_1_at_every_site_in_both_languages():
    protocol = load_protocol(default_protocol_path())
    rules = protocol.consent
    assert rules is not None and rules.lar_allowed
    assert rules.refusal_data_rule == "keep_until_refusal"
    assert rules.treatment_forms == ["infusion"]
    for site in protocol.sites:
        assert rules.current_version(site.code, dt.date(2026, 1, 5)).version == "1.0"
        assert rules.current_version(site.code, dt.date(2020, 1, 9)) is None
    assert rules.version("1.0").title.text("es").startswith("Formulario de consentimiento")
    assert any(a.path == "consent" for a in protocol.assumptions)


def test_the_section_is_optional():
    assert _with("").consent is None


def test_the_current_version_is_the_latest_approved_on_or_before_the_day():
    rules = _with(SECTION).consent
    assert rules.current_version("XX-01", dt.date(2020, 1, 31)) is None
    assert rules.current_version("XX-01", dt.date(2020, 2, 1)).version == "1.0"
    assert rules.current_version("XX-01", dt.date(2020, 5, 31)).version == "1.0"
    assert rules.current_version("XX-01", dt.date(2020, 6, 1)).version == "2.0"
    assert rules.current_version("YY-01", dt.date(2021, 1, 1)) is None


def test_a_version_is_signable_only_where_and_when_approved_and_in_its_languages():
    rules = _with(SECTION).consent
    assert rules.version_rule("XX-01", dt.date(2020, 3, 1), "1.0", "es") is None
    assert rules.version_rule("XX-01", dt.date(2020, 3, 1), "2.0", "en") == (
        "version 2.0 is approved at site XX-01 only from 2020-06-01")
    assert rules.version_rule("XX-01", dt.date(2020, 7, 1), "2.0", "es") == (
        "must be one of the version's languages (en)")
    assert rules.version_rule("XX-01", dt.date(2020, 7, 1), "3.0", "en") == (
        "must be a consent version of the protocol (1.0, 2.0)")


def test_the_witness_rule():
    rules = _with(SECTION).consent
    assert not rules.witness_required(signer="participant", signer_can_read=True)
    assert rules.witness_required(signer="participant", signer_can_read=False)
    assert rules.witness_required(signer="lar", signer_can_read=True)
    never = _with(SECTION.replace('witness_when = ["signer_cannot_read", "lar"]',
                                  "witness_when = []")).consent
    assert not never.witness_required(signer="lar", signer_can_read=False)


def test_the_refusal_rules_and_nested_levels():
    assert refusal_effect("keep") == (FOLLOW_UP, True)
    assert refusal_effect("keep_until_refusal") == (ALL_DATA, True)
    assert refusal_effect("withdraw_all") == (ALL_DATA, False)
    assert stops(FOLLOW_UP, TREATMENT) and stops(ALL_DATA, FOLLOW_UP)
    assert not stops(TREATMENT, FOLLOW_UP) and not stops(FOLLOW_UP, ALL_DATA)


@pytest.mark.parametrize(("change", "path"), [
    (('version = "2.0"', 'version = "1.0"'), "consent"),
    (('site = "XX-01", date = "2020-06-01"', 'site = "ZZ-09", date = "2020-06-01"'), "consent"),
    (('refusal_data_rule = "withdraw_all"', 'refusal_data_rule = "forget"'),
     "consent.refusal_data_rule"),
    (("capacity_confirmation_days = 5", "capacity_confirmation_days = -1"),
     "consent.capacity_confirmation_days"),
    (("capacity_confirmation_days = 5", "capacity_confirmation_days = 5\nreconsent_days = 0"),
     "consent.reconsent_days"),
    (("lar_allowed = true", 'treatment_forms = ["nothing"]'), "consent"),
])
def test_a_bad_section_is_a_located_error(change, path):
    with pytest.raises(ProtocolError) as caught:
        _with(SECTION.replace(*change))
    assert any(issue.path.startswith(path) or issue.path in ("consent", "")
               for issue in caught.value.issues), caught.value.issues
    assert any("consent" in (issue.path + issue.message) for issue in caught.value.issues), (
        caught.value.issues)


def test_the_reconsent_deadline_is_the_protocols_30_days_by_default():
    # 30 days: the server's deadline before the field existed (ICH E6(R2) 4.8.2, "timely")
    assert _with(SECTION).consent.reconsent_days == 30
    given = SECTION.replace("capacity_confirmation_days = 5",
                            "capacity_confirmation_days = 5\nreconsent_days = 21")
    assert _with(given).consent.reconsent_days == 21
    assert load_protocol(default_protocol_path()).consent.reconsent_days == 30
