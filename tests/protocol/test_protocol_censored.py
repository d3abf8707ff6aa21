"""Values below (above) an assay's limit of quantification: entry, storage, display, analysis."""

from __future__ import annotations

import pytest

from trialdesk.protocol.capture import Form, FormField
from trialdesk.protocol.censored import (
    censored_text,
    display_text,
    is_censored,
    parse_censored,
    substitute,
)
from trialdesk.protocol.loader import load_protocol
from trialdesk.protocol.validation import validate_form

IL6 = FormField.model_validate({"code": "il6", "label": "IL-6", "type": "decimal",
                                "unit": "pg/mL", "decimals": 2, "lloq": 5, "uloq": 5000,
                                "range": {"min": 0, "max": 100000}})
FORM = Form.model_validate({"code": "cyto", "title": "C", "fields": [IL6.model_dump()]})


@pytest.mark.parametrize("typed", ["<5", "< 5", "<5.0", "<LLOQ", "<lloq", "<5,0",
                                   {"censored": "<", "limit": 5}])
def test_below_the_lloq_is_stored_censored_with_the_limit(typed):
    assert parse_censored(IL6, typed) == {"censored": "<", "limit": 5.0}
    result = validate_form(FORM, {"il6": typed})
    assert result.ok and result.values == {"il6": {"censored": "<", "limit": 5.0}}


def test_above_the_uloq_is_stored_censored():
    assert validate_form(FORM, {"il6": ">ULOQ"}).values == {"il6": {"censored": ">",
                                                                     "limit": 5000.0}}


@pytest.mark.parametrize("typed,rule", [("<3", "type"), ("<x", "type"), (">5", "type"),
                                        ("4.99", "below_lloq"), ("0", "below_lloq"),
                                        ("6000", "above_uloq")])
def test_a_wrong_limit_or_a_number_beyond_the_limits_is_refused(typed, rule):
    result = validate_form(FORM, {"il6": typed})
    assert not result.ok and [p.rule for p in result.errors] == [rule]
    assert "il6" not in result.values


def test_a_wrong_limit_names_the_assay_limit():
    problem = validate_form(FORM, {"il6": "<3"}).errors[0]
    assert "enter <5" in problem.message


def test_a_number_at_or_above_the_lloq_is_a_number():
    assert validate_form(FORM, {"il6": "5"}).values == {"il6": 5.0}
    assert validate_form(FORM, {"il6": "12.25"}).values == {"il6": 12.25}


def test_a_field_without_limits_refuses_a_censored_entry():
    plain = Form.model_validate({"code": "f", "title": "F", "fields": [
        {"code": "crp", "label": "CRP", "type": "decimal"}]})
    assert [p.rule for p in validate_form(plain, {"crp": "<5"}).errors] == ["type"]


def test_display_and_cdisc_text():
    value = {"censored": "<", "limit": 5.0}
    assert censored_text(value) == "<5"
    assert display_text(value, "pg/mL") == "<5 pg/mL"
    assert display_text(12.5, "pg/mL") == "12.5 pg/mL"
    assert censored_text({"censored": "<", "limit": 1.5}) == "<1.5"


def test_substitution_by_rule():
    value = {"censored": "<", "limit": 5.0}
    assert substitute(value) == 2.5
    assert substitute(value, "lod") == 5.0
    assert substitute(value, "sqrt2") == pytest.approx(5 / 2 ** 0.5)
    assert substitute({"censored": ">", "limit": 5000.0}) == 5000.0
    assert substitute(7.0) == 7.0 and substitute(None) is None and substitute("x") is None
    assert not is_censored({"censored": "<", "limit": True})


def test_limits_only_on_entered_numbers():
    with pytest.raises(ValueError, match="limits of quantification"):
        FormField.model_validate({"code": "t", "label": "T", "type": "text", "lloq": 1})
    with pytest.raises(ValueError, match="below uloq"):
        FormField.model_validate({"code": "n", "label": "N", "type": "decimal", "lloq": 5,
                                  "uloq": 5})
    with pytest.raises(ValueError, match="needs an lloq"):
        FormField.model_validate({"code": "n", "label": "N", "type": "decimal",
                                  "lloq_rule": "half"})


def test_the_default_protocol_declares_cytokine_limits():
    form = next(f for f in load_protocol().forms if f.code == "cytokines")
    for field in form.fields:
        assert field.lloq is not None and field.lloq > 0 and field.substitution_rule == "half"


def test_a_protocol_may_keep_a_number_beyond_the_limit_with_a_warning_instead():
    lenient = Form.model_validate({"code": "cyto", "title": "C", "fields": [
        {**IL6.model_dump(), "beyond_limit": "query"}]})
    result = validate_form(lenient, {"il6": "4"})
    assert result.ok and result.values == {"il6": 4.0}
    assert [(w.rule, w.confirmed) for w in result.warnings] == [("below_lloq", False)]
    confirmed = validate_form(lenient, {"il6": "4"}, confirmed={"il6"})
    assert confirmed.unconfirmed == []
