"""The facts of the seed registry page (tests/data/seed/), read from its text; page text helpers.

Shared by the Django client tests and the browser test: both check that every fact appears.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

FACT_LABELS = ("NCT number", "Study type", "Source", "Contact", "Phone", "Email", "Status",
               "Phase", "Start date", "Completion date")
STATUSES = ("Not yet recruiting", "Recruiting", "Completed", "Terminated", "Withdrawn",
            "Active, not recruiting", "Suspended", "Enrolling by invitation", "Unknown status")
RELATED = re.compile(
    rf"^({'|'.join(map(re.escape, STATUSES))}) (NCT\d{{8}}) - (.*?)"
    r"(?: (Phase \d/Phase \d|Phase \d|N/A))?$"
)


@dataclass(frozen=True)
class SeedFacts:
    summary: str
    description: str
    mesh_terms: list[str]
    facts: list[tuple[str, str]]
    related: list[tuple[str, str, str, str]]  # status, NCT number, title, phase ("" if blank)

    def expected_texts(self) -> list[str]:
        """Every fact as a text that must appear in the page's text (whitespace collapsed)."""
        texts = [self.summary, self.description, *self.mesh_terms]
        texts += [f"{label} {value}" for label, value in self.facts]
        texts += [f"{status} {nct} - {title}" + (f" {phase}" if phase else "")
                  for status, nct, title, phase in self.related]
        return texts


def _paragraph_after(lines: list[str], heading: str) -> str:
    index = lines.index(heading) + 1
    while not lines[index].strip():
        index += 1
    return lines[index].strip()


def seed_facts(test_data: Path) -> SeedFacts:
    """Read the seed page's facts from ``test_data`` (the fixture); fail loudly if its layout is
    not what we expect."""
    page = test_data / "seed" / "NCT04390152-registry-page.txt"
    lines = page.read_text(encoding="utf-8").splitlines()
    description = _paragraph_after(lines, "Clinical Trial Description")
    description = re.sub(r"\s*;$", "", description)  # the page ends the text with a stray " ;"
    mesh = [line.split("•", 1)[1].strip() for line in lines if line.strip().startswith("•")]
    facts = []
    for line in lines:
        for label in FACT_LABELS:
            if line.startswith(label + " "):
                facts.append((label, line[len(label) + 1:].strip()))
                break
    start = lines.index("See also") + 2
    related = []
    for line in lines[start:]:
        match = RELATED.match(line.strip())
        assert match, f"unexpected See also line: {line!r}"
        status, nct, title, phase = match.groups()
        related.append((status, nct, title, phase or ""))
    result = SeedFacts(_paragraph_after(lines, "Clinical Trial Summary"), description, mesh,
                       facts, related)
    assert len(result.facts) == len(FACT_LABELS), result.facts
    assert len(result.related) == 20 and len(result.mesh_terms) == 5
    return result


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def collapse(text: str) -> str:
    return " ".join(text.split())


def html_text(html: str) -> str:
    """Return the visible text of an HTML page, whitespace collapsed (cells separated by spaces)."""
    parser = _Text()
    parser.feed(html)
    return collapse(" ".join(parser.parts))


def tight(text: str) -> str:
    """``html_text`` without the spaces it puts around inline elements before "," and ")" and
    after "(": "Quadruple ( Participant , Investigator )" -> "Quadruple (Participant, ...)"."""
    return text.replace(" ,", ",").replace("( ", "(").replace(" )", ")")


@pytest.fixture
def seeded_registry(db) -> None:
    """The registry as shipped; reseeded when a transactional test flushed the migration's data."""
    from trialdesk.protocol import load_protocol
    from trialdesk.web.registry.models import Study
    from trialdesk.web.registry.store import seed_registry

    if not Study.objects.filter(nct_id=load_protocol().registry.nct_id).exists():
        seed_registry(load_protocol())
