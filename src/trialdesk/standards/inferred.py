"""Terms inferred from a study's title and conditions, for studies whose record gives none.

The seed registry page gives only the NCT number, title, status and phase of each related trial,
so the related-trial ranking would have nothing to compare. We infer a few MeSH terms (with the
ancestors the MeSH tree gives them) and keywords from title patterns. Every inferred term carries
its rule, is stored apart from the registry record, and is shown as inferred: it is never passed
off as registry data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["mesh", "ancestor", "condition", "keyword"]


@dataclass(frozen=True)
class InferredTerm:
    kind: Kind
    term: str
    rule: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "term": self.term, "rule": self.rule}


@dataclass(frozen=True)
class _Rule:
    pattern: str
    mesh: tuple[str, ...] = ()
    ancestors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


# Ancestors follow the MeSH tree (C08 Respiratory Tract Diseases, C01 Infections), kept to the
# levels that make two respiratory trials look related without relating every trial to every other.
_RULES = (
    _Rule(r"\bARDS\b|respiratory distress syndrome", ("Respiratory Distress Syndrome",),
          ("Lung Diseases", "Respiratory Tract Diseases")),
    _Rule(r"COVID[- ]?19|SARS-CoV-2|novel coronavirus", ("COVID-19",),
          ("Coronavirus Infections", "Pneumonia, Viral", "Respiratory Tract Infections")),
    _Rule(r"respiratory failure|respiratory insufficiency", ("Respiratory Insufficiency",),
          ("Respiration Disorders", "Respiratory Tract Diseases")),
    _Rule(r"pneumonia", ("Pneumonia",), ("Lung Diseases", "Respiratory Tract Infections")),
    _Rule(r"influenza", ("Influenza, Human",), ("Respiratory Tract Infections",)),
    _Rule(r"critically ill|critical illness", ("Critical Illness",), ("Disease Attributes",)),
    _Rule(r"lung disease", ("Lung Diseases",), ("Respiratory Tract Diseases",)),
    _Rule(r"ventilat|capnograph|work of breathing|tidal volume|high-flow oxygen",
          keywords=("mechanical ventilation",)),
    _Rule(r"stem cells|stromal cells|exosomes", keywords=("cell therapy",)),
)


def infer_terms(*texts: str) -> list[InferredTerm]:
    """Return the terms the rules infer from ``texts`` (title, conditions), without repeats."""
    text = " ".join(texts)
    found: dict[tuple[str, str], InferredTerm] = {}
    for rule in _RULES:
        if not re.search(rule.pattern, text, flags=re.IGNORECASE):
            continue
        why = f"inferred from the title (pattern /{rule.pattern}/)"
        groups: tuple[tuple[Kind, tuple[str, ...]], ...] = (
            ("mesh", rule.mesh), ("ancestor", rule.ancestors), ("keyword", rule.keywords),
        )
        for kind, terms in groups:
            for term in terms:
                found.setdefault((kind, term), InferredTerm(kind, term, why))
    return list(found.values())
