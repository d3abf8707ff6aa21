"""An amendment's classified diff (issue 17): amended copies of the bundled NCT04390152 protocol,
each edit found with its category, path and old and new values; confidential randomization values
compared but never shown."""

from __future__ import annotations

import tomllib

import pytest

from trialdesk.protocol import default_protocol_path, parse_protocol
from trialdesk.protocol.amendment import (
    CATEGORIES,
    CONFIDENTIAL,
    AmendmentRefused,
    Change,
    diff_protocols,
    refuse_randomization_change,
    render_diff,
)
from trialdesk.protocol.confidential import Confidential
from trialdesk.protocol.locate import LineIndex

TEXT = default_protocol_path().read_text(encoding="utf-8")
OLD = parse_protocol(TEXT)

HEIGHT = """[[forms.fields]]
code = "height"
label = { en = "Height", es = "Talla" }
type = "integer"
unit = "cm"
range = { min = 100, max = 230 }
soft_range = { min = 140, max = 200 }
"""
SPO2 = """[[forms.fields]]
code = "spo2"
label = { en = "Oxygen saturation", es = "Saturación de oxígeno" }
type = "integer"
unit = "%"
required = true
range = { min = 50, max = 100 }
"""
DAY21 = """[[visits]]
code = "day21"
title = { en = "Day 21", es = "Día 21" }
day = 21
window_before = 2
window_after = 2
forms = ["vital_signs", "respiratory"]
"""
CONSENT_1 = """approvals = [{ site = "CO-01", date = "2020-01-10" }, { site = "CO-02", date = "2020-01-10" }, { site = "CO-03", date = "2020-01-10" }]
"""  # noqa: E501
CONSENT_2 = """[[consent.versions]]
version = "2.0"
title = { en = "Informed consent form, version 2.0", es = "Formulario de consentimiento informado, versión 2.0" }
languages = ["es", "en"]
approvals = [{ site = "CO-01", date = "2021-03-01" }]
"""  # noqa: E501


def amended(*edits: tuple[str, str]) -> str:
    """The bundled protocol's text with each (old, new) edit made once; each old text must be
    there, so that a test never passes on an edit that did nothing."""
    text = TEXT
    for before, after in edits:
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    return text


def diff_of(*edits: tuple[str, str]):
    return diff_protocols(OLD, parse_protocol(amended(*edits)))


def only(diff, category: str) -> Change:
    found = diff.of(category)
    assert len(found) == 1, diff.changes
    return found[0]


def test_identical_protocols_give_an_empty_diff():
    diff = diff_protocols(OLD, parse_protocol(TEXT))
    assert diff.changes == () and not diff
    assert not diff.changes_consent_version and diff.randomization_changes == []
    assert render_diff(diff) == "No changes."
    assert render_diff(diff, "es") == "Sin cambios."


def test_reordering_fields_is_no_change():
    # the height field moved before the weight field: items are matched by their codes
    diff = diff_of((HEIGHT, ""), ('[[forms.fields]]\ncode = "weight"',
                                  HEIGHT + '[[forms.fields]]\ncode = "weight"'))
    assert diff.changes == ()


def test_a_field_added_is_found_with_its_definition():
    diff = diff_of(('[[forms.fields]]\ncode = "fio2"', SPO2 + '[[forms.fields]]\ncode = "fio2"'))
    change = only(diff, "field_added")
    assert change.path == "forms.respiratory.fields.spo2" and change.old is None
    assert change.new["type"] == "integer" and change.new["required"] is True
    assert change.new["range"] == {"min": 50, "max": 100}
    assert change.new["label"] == {"en": "Oxygen saturation", "es": "Saturación de oxígeno"}
    assert len(diff.changes) == 1
    shown = render_diff(diff)
    assert "Fields added (1):" in shown
    assert ("+ forms.respiratory.fields.spo2: Oxygen saturation; integer; %; required; "
            "range [50, 100]") in shown
    assert "+ forms.respiratory.fields.spo2: Saturación de oxígeno" in render_diff(diff, "es")


def test_a_field_removed_keeps_its_old_definition():
    change = only(diff_of((HEIGHT, "")), "field_removed")
    assert change.path == "forms.demographics.fields.height" and change.new is None
    assert change.old["unit"] == "cm" and change.old["range"] == {"min": 100, "max": 230}


def test_a_range_changed_names_the_bound():
    diff = diff_of(("range = { min = 20, max = 700 }", "range = { min = 20, max = 600 }"),
                   ("soft_range = { min = 140, max = 200 }",
                    "soft_range = { min = 145, max = 200 }"))
    changes = diff.of("range_changed")
    assert changes == [
        Change("range_changed", "forms.demographics.fields.height.soft_range.min", 140, 145),
        Change("range_changed", "forms.respiratory.fields.pao2.range.max", 700, 600),
    ]
    assert len(diff.changes) == 2
    assert "~ forms.respiratory.fields.pao2.range.max: 700 -> 600" in render_diff(diff)


def test_a_range_dropped_or_given_is_one_change_of_the_whole_range():
    diff = diff_of(("range = { min = 20, max = 300 }\nsoft_range = { min = 40, max = 150 }\n",
                    "range = { min = 20, max = 300 }\n"),
                   ("range = { min = 0.21, max = 1.0 }\n",
                    "range = { min = 0.21, max = 1.0 }\nsoft_range = { min = 0.21, max = 0.8 }\n"))
    assert diff.of("range_changed") == [
        Change("range_changed", "forms.demographics.fields.weight.soft_range",
               {"min": 40, "max": 150}, None),
        Change("range_changed", "forms.respiratory.fields.fio2.soft_range",
               None, {"min": 0.21, "max": 0.8}),
    ]
    assert "+ forms.respiratory.fields.fio2.soft_range: [0,21, 0,8]" in render_diff(diff, "es")


def test_field_type_unit_and_required_changes():
    diff = diff_of(('unit = "kg"\n', 'unit = "lb"\n'),
                   ('code = "height"\nlabel = { en = "Height", es = "Talla" }\ntype = "integer"\n',
                    'code = "height"\nlabel = { en = "Height", es = "Talla" }\ntype = "decimal"\n'
                    'required = true\n'))
    assert diff.of("field_changed") == [
        Change("field_changed", "forms.demographics.fields.weight.unit", "kg", "lb"),
        Change("field_changed", "forms.demographics.fields.height.type", "integer", "decimal"),
        Change("field_changed", "forms.demographics.fields.height.required", False, True),
    ]
    assert "~ forms.demographics.fields.height.required: no -> yes" in render_diff(diff)
    assert "~ forms.demographics.fields.height.required: no -> sí" in render_diff(diff, "es")


def test_a_label_change_is_one_change_shown_in_the_language():
    change = only(diff_of(('label = { en = "Height", es = "Talla" }',
                           'label = { en = "Body height", es = "Estatura" }')), "field_changed")
    assert change.path == "forms.demographics.fields.height.label"
    assert change.old == {"en": "Height", "es": "Talla"}
    diff = diff_of(('label = { en = "Height", es = "Talla" }',
                    'label = { en = "Body height", es = "Estatura" }'))
    assert "~ forms.demographics.fields.height.label: Talla -> Estatura" in render_diff(diff, "es")


def test_choices_added_and_relabelled():
    diff = diff_of(('  { code = "M", label = { en = "Male", es = "Masculino" } },\n',
                    '  { code = "M", label = { en = "Male", es = "Masculino" } },\n'
                    '  { code = "X", label = { en = "Other", es = "Otro" } },\n'),
                   ('{ code = "pending", label = { en = "Pending", es = "Pendiente" } }',
                    '{ code = "pending", label = { en = "Awaited", es = "En espera" } }'))
    assert diff.of("choices_changed") == [
        Change("choices_changed", "forms.demographics.fields.sex.choices.X", None,
               {"code": "X", "label": {"en": "Other", "es": "Otro"}}),
        Change("choices_changed", "forms.eligibility.fields.sars_cov2_pcr.choices.pending.label",
               {"en": "Pending", "es": "Pendiente"}, {"en": "Awaited", "es": "En espera"}),
    ]


def test_a_form_check_changed_counts_as_a_field_change():
    diff = diff_of(('[[forms]]\ncode = "demographics"\ntitle = { en = "Demographics", '
                    'es = "Datos demográficos" }\n',
                    '[[forms]]\ncode = "demographics"\ntitle = { en = "Demographics", '
                    'es = "Datos demográficos" }\n[[forms.checks]]\ncode = "adult_weight"\n'
                    'rule = "weight >= 30"\nmessage = "An adult weighs 30 kg or more"\n'))
    change = only(diff, "field_changed")
    assert change.path == "forms.demographics.checks" and change.old == []
    assert change.new[0]["rule"] == "weight >= 30"


def test_a_visit_added_and_a_visit_window_changed():
    diff = diff_of(('[[visits]]\ncode = "day28"', DAY21 + '[[visits]]\ncode = "day28"'),
                   ('day = 3\nwindow_before = 1\nwindow_after = 1\n'
                    'forms = ["vital_signs", "respiratory", "sofa", "laboratory", "cytokines"]',
                    'day = 3\nwindow_before = 1\nwindow_after = 2\n'
                    'forms = ["vital_signs", "respiratory", "sofa", "laboratory"]'))
    added = only(diff, "visit_added")
    assert added.path == "visits.day21" and added.old is None
    assert (added.new["day"], added.new["forms"]) == (21, ["vital_signs", "respiratory"])
    assert diff.of("visit_changed") == [
        Change("visit_changed", "visits.day3.window_after", 1, 2),
        Change("visit_changed", "visits.day3.forms",
               ["vital_signs", "respiratory", "sofa", "laboratory", "cytokines"],
               ["vital_signs", "respiratory", "sofa", "laboratory"]),
    ]
    shown = render_diff(diff)
    assert "+ visits.day21: Day 21; day 21; window -2/+2; forms: vital_signs, respiratory" in shown
    assert "~ visits.day3.window_after: 1 -> 2" in shown
    assert ("~ visits.day3.forms: vital_signs, respiratory, sofa, laboratory, cytokines -> "
            "vital_signs, respiratory, sofa, laboratory (- cytokines)") in shown


def test_an_eligibility_rule_changed_added_and_removed():
    diff = diff_of(('rule = "age >= 18"', 'rule = "age >= 16"'),
                   ('text = { en = "Active malignancy", es = "Neoplasia maligna activa" }',
                    'text = { en = "Active cancer", es = "Cáncer activo" }'),
                   ('[[eligibility.exclusion]]\ncode = "other_trial"\n'
                    'text = { en = "Taking part in another interventional trial", '
                    'es = "Participación en otro ensayo de intervención" }\n'
                    'rule = "other_interventional_trial == yes"\n', ''))
    assert [(c.path, c.old, c.new) for c in diff.of("eligibility_changed")][:2] == [
        ("eligibility.inclusion.adult.rule", "age >= 18", "age >= 16"),
        ("eligibility.exclusion.active_malignancy.text",
         {"en": "Active malignancy", "es": "Neoplasia maligna activa"},
         {"en": "Active cancer", "es": "Cáncer activo"}),
    ]
    removed = diff.of("eligibility_changed")[2]
    assert removed.path == "eligibility.exclusion.other_trial" and removed.new is None
    assert removed.old["rule"] == "other_interventional_trial == yes"
    assert len(diff.changes) == 3
    shown = render_diff(diff)
    assert "~ eligibility.inclusion.adult.rule: age >= 18 -> age >= 16" in shown
    assert ("- eligibility.exclusion.other_trial: Taking part in another interventional trial; "
            "other_interventional_trial == yes") in shown


def test_a_new_consent_version_changes_the_version_in_force_at_every_site():
    diff = diff_of((CONSENT_1, CONSENT_1 + CONSENT_2))
    change = only(diff, "consent_changed")
    assert change.path == "consent.versions.2.0" and change.old is None
    assert change.new["approvals"] == [{"site": "CO-01", "date": "2021-03-01"}]
    assert diff.changes_consent_version
    # CO-01 approved it; CO-02 and CO-03 will have it once their approval of the amendment
    # is entered (until then they keep 1.0: the server's rule, not the file's)
    assert diff.consent_in_force == (("CO-01", "1.0", "2.0"), ("CO-02", "1.0", "2.0"),
                                     ("CO-03", "1.0", "2.0"))
    assert "Consent document in force at CO-01: 1.0 -> 2.0 (re-consent due)" in render_diff(diff)
    assert "Documento de consentimiento vigente en CO-02: 1.0 -> 2.0" in render_diff(diff, "es")


def test_a_consent_rule_change_does_not_change_the_version_in_force():
    diff = diff_of(("capacity_confirmation_days = 7", "capacity_confirmation_days = 5"))
    assert only(diff, "consent_changed") == Change(
        "consent_changed", "consent.capacity_confirmation_days", 7, 5)
    assert not diff.changes_consent_version and diff.consent_in_force == ()


def test_block_sizes_changed_are_found_but_never_shown():
    diff = diff_of(("block_sizes = [2, 4]", "block_sizes = [14, 18]"))
    assert diff.randomization_changes == [
        Change("randomization_changed", "design.randomization.block_sizes",
               CONFIDENTIAL, CONFIDENTIAL)]
    for shown in (render_diff(diff), render_diff(diff, "es"), repr(diff), str(diff.changes)):
        assert "14" not in shown and "18" not in shown and "[2, 4]" not in shown
    assert "~ design.randomization.block_sizes: (confidential) -> (confidential)" in render_diff(
        diff)


def test_confidential_parameters_and_block_sizes_from_the_confidential_file_stay_masked():
    published = TEXT.replace('block_sizes = [2, 4]\n', 'confidential = true\n')

    def secret(body: str) -> Confidential:
        return Confidential(tomllib.loads(body)["randomization"], "secret.toml", LineIndex(body))

    old = parse_protocol(published, confidential=secret(
        "[randomization]\nblock_sizes = [4, 6]\nparameters = { slots_per_stratum = 41 }\n"))
    new = parse_protocol(published, confidential=secret(
        "[randomization]\nblock_sizes = [4, 8]\nparameters = { slots_per_stratum = 57 }\n"))
    diff = diff_protocols(old, new)
    assert [(c.path, c.old, c.new) for c in diff.changes] == [
        ("design.randomization.block_sizes", CONFIDENTIAL, CONFIDENTIAL),
        ("design.randomization.parameters", CONFIDENTIAL, CONFIDENTIAL),
    ]
    for shown in (render_diff(diff), repr(diff)):
        assert not any(value in shown for value in ("41", "57", "[4", "8]", "slots_per"))


def test_the_allocation_ratio_and_a_stratum_rule_are_randomization_changes():
    diff = diff_of(("allocation_ratio = { msc = 1, standard = 1 }",
                    "allocation_ratio = { msc = 2, standard = 1 }"),
                   ("block_sizes = [2, 4]", "block_sizes = [3, 6]"),  # multiples of 2 + 1
                   ('rule = "pao2_fio2 > 100"', 'rule = "pao2_fio2 > 150"'),
                   ('rule = "pao2_fio2 <= 100"', 'rule = "pao2_fio2 <= 150"'))
    assert [(c.path, c.old, c.new) for c in diff.randomization_changes] == [
        ("design.allocation_ratio.msc", 1, 2),
        ("design.randomization.block_sizes", CONFIDENTIAL, CONFIDENTIAL),
        ("design.randomization.strata.ards_severity.levels.moderate.rule",
         "pao2_fio2 > 100", "pao2_fio2 > 150"),
        ("design.randomization.strata.ards_severity.levels.severe.rule",
         "pao2_fio2 <= 100", "pao2_fio2 <= 150"),
    ]


def test_a_site_added_is_not_a_randomization_change():
    site = ('[[sites]]\ncode = "CO-04"\nname = "Cali ICU site"\ncity = "Cali"\n'
            'country = "Colombia"\ntimezone = "America/Bogota"\n')
    diff = diff_of(("# --- eligibility ---", site + "\n# --- eligibility ---"))
    change = only(diff, "other")
    assert change.path == "sites.CO-04" and change.new["city"] == "Cali"
    assert diff.randomization_changes == [] and not diff.changes_consent_version


def test_a_randomization_change_is_refused_once_randomization_started_naming_the_field():
    diff = diff_of(("allocation_ratio = { msc = 1, standard = 1 }",
                    "allocation_ratio = { msc = 2, standard = 1 }"),
                   ("block_sizes = [2, 4]", "block_sizes = [3, 6]"))
    refuse_randomization_change(diff, randomization_started=False)  # before: allowed
    with pytest.raises(AmendmentRefused) as refused:
        refuse_randomization_change(diff, randomization_started=True)
    assert refused.value.field == "design.allocation_ratio.msc"
    assert refused.value.rule == "randomization_fixed"
    assert "design.allocation_ratio.msc" in str(refused.value)
    assert "design.randomization.block_sizes" in str(refused.value)
    assert "[3, 6]" not in str(refused.value) and "[2, 4]" not in str(refused.value)


def test_a_randomization_change_is_refused_once_the_allocation_list_is_loaded():
    # allocation follows the list loaded, made from version 1's parameters: a change recorded
    # between loading and the first randomization would have no effect
    diff = diff_of(("block_sizes = [2, 4]", "block_sizes = [4, 6]"))
    refuse_randomization_change(diff, randomization_started=False, allocation_loaded=False)
    with pytest.raises(AmendmentRefused) as refused:
        refuse_randomization_change(diff, randomization_started=False, allocation_loaded=True)
    assert refused.value.field == "design.randomization.block_sizes"
    assert refused.value.rule == "randomization_fixed"
    assert "once the allocation list is loaded" in str(refused.value)
    assert "[4, 6]" not in str(refused.value)


def test_other_amendments_are_not_refused_after_randomization():
    diff = diff_of(("range = { min = 20, max = 700 }", "range = { min = 20, max = 600 }"),
                   ('version = "1.0"\nlanguages', 'version = "1.1"\nlanguages'))
    refuse_randomization_change(diff, randomization_started=True)
    assert only(diff, "other") == Change("other", "version", "1.0", "1.1")


def test_render_groups_the_changes_in_the_categories_order():
    diff = diff_of(("block_sizes = [2, 4]", "block_sizes = [2, 6]"),
                   (HEIGHT, ""),
                   ('[[visits]]\ncode = "day28"', DAY21 + '[[visits]]\ncode = "day28"'))
    shown = render_diff(diff).splitlines()
    assert shown[0] == "3 change(s):"
    headings = [line for line in shown if line and not line.startswith(" ")][1:]
    assert headings == ["Fields removed (1):", "Visits added (1):",
                        "Randomization changed (refused once the allocation list is loaded) (1):"]
    spanish = [line for line in render_diff(diff, "es").splitlines()
               if line and not line.startswith(" ")]
    assert spanish == ["3 cambio(s):", "Campos eliminados (1):", "Visitas añadidas (1):",
                       "Aleatorización modificada (se rechaza una vez cargada la lista de "
                       "asignación) (1):"]


def test_every_category_has_a_heading_in_both_languages_and_unknown_ones_are_refused():
    from trialdesk.protocol.amendment_text import TEXTS

    for language in ("en", "es"):
        assert all(category in TEXTS[language] for category in CATEGORIES)
    with pytest.raises(ValueError, match="unknown change category"):
        diff_protocols(OLD, OLD).of("field_renamed")


def test_a_stratum_label_is_not_a_randomization_change():
    diff = diff_of(('label = { en = "ARDS severity", es = "Gravedad del SDRA" }',
                    'label = { en = "Severity of ARDS", es = "Gravedad del SDRA" }'))
    assert only(diff, "other").path == "design.randomization.strata.ards_severity.label"
    refuse_randomization_change(diff, randomization_started=True)


def test_a_long_text_is_shortened_in_the_line():
    from trialdesk.protocol.amendment_text import LONGEST, change_line

    summary = 'brief_summary = { en = """Recent COVID 19 pandemic'
    diff = diff_of((summary, summary.replace("Recent", "The recent")))
    change = only(diff, "other")
    assert change.path == "registry.brief_summary"
    assert change.new["en"].startswith("The recent COVID 19 pandemic")  # the change keeps it all
    line = change_line(change)
    assert line.endswith("...") and len(line) < 2 * LONGEST + 40


def test_the_forms_a_diff_touches():
    diff = diff_of((HEIGHT, ""),
                   ("range = { min = 20, max = 700 }", "range = { min = 20, max = 600 }"),
                   ('rule = "age >= 18"', 'rule = "age >= 16"'))
    assert diff.changed_forms == ["demographics", "respiratory"]
    assert diff_protocols(OLD, OLD).changed_forms == []


def test_the_monitoring_seed_is_compared_but_never_shown():
    def with_seed(seed: str):
        body = f'[randomization]\n[monitoring]\nseed = "{seed}"\n'
        data = tomllib.loads(body)
        return parse_protocol(TEXT, confidential=Confidential(
            data["randomization"], "secret.toml", LineIndex(body), data["monitoring"]))

    old, new = with_seed("a-first-secret-seed-0001"), with_seed("a-second-secret-seed-0002")
    assert old.monitoring.seed == "a-first-secret-seed-0001"
    diff = diff_protocols(old, new)
    assert diff.changes == (Change("other", "monitoring.seed", CONFIDENTIAL, CONFIDENTIAL),)
    for shown in (render_diff(diff), repr(diff)):
        assert "secret-seed" not in shown


def test_a_form_added_to_a_visit_and_removed_again():
    outcomes = next(line for line in TEXT.splitlines() if line.startswith("# --- outcomes"))
    xray = ('[[forms]]\ncode = "chest_xray"\n'
            'title = { en = "Chest X-ray", es = "Radiografía de tórax" }\n'
            '[[forms.fields]]\ncode = "xray_date"\nlabel = { en = "Date", es = "Fecha" }\n'
            'type = "date"\nrequired = true\n\n')
    new = parse_protocol(amended((outcomes, xray + outcomes),
                                 ('forms = ["infusion", "vital_signs"]',
                                  'forms = ["infusion", "vital_signs", "chest_xray"]')))
    diff = diff_protocols(OLD, new)
    added = only(diff, "form_added")
    assert added.path == "forms.chest_xray" and added.old is None
    assert [field["code"] for field in added.new["fields"]] == ["xray_date"]
    assert only(diff, "visit_changed").path == "visits.day1.forms"
    assert "+ forms.chest_xray: Chest X-ray; 1 field(s)" in render_diff(diff)
    back = diff_protocols(new, OLD)
    assert only(back, "form_removed") == Change("form_removed", "forms.chest_xray",
                                                added.new, None)
