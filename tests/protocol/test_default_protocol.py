"""The bundled NCT04390152 protocol says what its public registry page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.protocol.registry import format_partial_date, format_phases, format_status
from trialdesk.protocol.translations import missing_translations

STATUSES = ("Not yet recruiting", "Recruiting", "Completed", "Terminated", "Withdrawn")


@pytest.fixture(scope="module")
def seed_text(test_data: Path) -> str:
    """The registry page of NCT04390152 as published (tests/data/README.md)."""
    return (test_data / "seed" / "NCT04390152-registry-page.txt").read_text(encoding="utf-8")


def facts_table(seed_text: str) -> dict[str, str]:
    keys = ("NCT number", "Study type", "Source", "Contact", "Phone", "Email", "Status", "Phase",
            "Start date", "Completion date")
    facts = {}
    for line in seed_text.splitlines():
        for key in keys:
            if line.startswith(key + " ") and key not in facts:
                facts[key] = line[len(key):].strip()
    return facts


def see_also(seed_text: str) -> list[tuple[str, str, str, str]]:
    """(status, NCT number, title, phase) for each row of the page's 'See also' list."""
    pattern = re.compile(
        rf"^({'|'.join(STATUSES)}) (NCT\d{{8}}) - (.*?)(?: (Phase \d/Phase \d|Phase \d|N/A))?$"
    )
    section = seed_text.split("See also", 1)[1]
    rows = []
    for line in section.splitlines():
        match = pattern.match(line.strip())
        if match:
            rows.append((match[1], match[2], match[3], match[4] or ""))
    return rows


def test_seed_page_parses_to_twenty_related_trials(seed_text: str) -> None:
    assert len(see_also(seed_text)) == 20


def test_related_trials_match_the_page(seed_text: str) -> None:
    protocol = load_protocol()
    ours = [
        (format_status(trial.status), trial.nct_id, trial.title, format_phases(trial.phases))
        for trial in protocol.registry.related_trials
    ]
    assert ours == see_also(seed_text)


def test_registry_facts_match_the_page(seed_text: str) -> None:
    registry = load_protocol().registry
    facts = facts_table(seed_text)
    assert registry.nct_id == facts["NCT number"] == "NCT04390152"
    assert registry.study_type.capitalize() == facts["Study type"]
    assert registry.sponsor == facts["Source"] == "BioXcellerator"
    assert registry.contact.name == facts["Contact"]
    assert registry.contact.phone == facts["Phone"]
    assert registry.contact.email == facts["Email"]
    assert format_status(registry.overall_status) == facts["Status"] == "Recruiting"
    assert format_phases(registry.phases) == facts["Phase"] == "Phase 1/Phase 2"
    assert registry.phases == ["PHASE1", "PHASE2"]
    assert format_partial_date(registry.start_date) == facts["Start date"] == "January 13, 2020"
    assert format_partial_date(registry.completion_date) == facts["Completion date"]
    assert facts["Completion date"] == "April 2022"


def test_mesh_terms_match_the_page(seed_text: str) -> None:
    section = seed_text.split("Related Conditions & MeSH terms", 1)[1].split("NCT number", 1)[0]
    page_terms = [line.strip().lstrip("•").strip() for line in section.splitlines()
                  if line.strip().startswith("•")]
    ours = [term.term for term in load_protocol().registry.mesh_terms]
    assert ours == page_terms
    assert len(ours) == 5


def test_summary_and_description_are_the_pages(seed_text: str) -> None:
    registry = load_protocol().registry
    assert registry.brief_summary.text("en") in seed_text
    assert registry.detailed_description.text("en") in seed_text


def test_design_follows_design_md() -> None:
    design = load_protocol().design
    assert [arm.code for arm in design.arms] == ["msc", "standard"]
    assert design.allocation_ratio == {"msc": 1, "standard": 1}
    assert design.target_enrollment == 40
    assert design.randomization.method == "permuted-blocks"
    assert design.randomization.block_sizes == [2, 4]
    assert [factor.code for factor in design.randomization.strata] == ["site", "ards_severity"]
    assert {"PARTICIPANT", "INVESTIGATOR", "ANALYST"} <= set(design.masking.who)


def test_every_unstated_choice_is_an_assumption() -> None:
    paths = {assumption.path for assumption in load_protocol().assumptions}
    for required in ("design.target_enrollment", "design.allocation_ratio",
                     "design.randomization", "eligibility", "visits", "forms", "sites",
                     "registry.brief_title"):
        assert required in paths


def test_default_protocol_is_fully_translated_to_spanish() -> None:
    protocol = load_protocol()
    assert protocol.languages == ["en", "es"]
    assert missing_translations(protocol) == []
    assert protocol.form("respiratory").field("fio2").label.text("es") == "FiO2"
    assert protocol.visit("day28").title.text("es-CO") == "Día 28 (fin del estudio)"
