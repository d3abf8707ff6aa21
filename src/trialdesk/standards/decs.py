"""Spanish labels of the MeSH terms the registry pages use: DeCS, the Spanish (and Portuguese) MeSH.

DeCS (Descriptores en Ciencias de la Salud) is kept by BIREME/PAHO/WHO and is what readers in Latin
America search by. We ship the labels of the MeSH terms the seed registry page gives, of their MeSH
ancestors, and of the terms our related-trial rules infer, so that nothing is looked up at run
time. A term not listed keeps its English heading only. The English heading stays the term's code:
it is what the registry stores and what the ranking compares.

Source: DeCS descriptor names in Spanish (https://decs.bvsalud.org, DeCS/MeSH edition of 2024),
written from the DeCS descriptors of the same MeSH headings. They were not re-checked online when
written (the tools at hand returned no DeCS page), so each is marked with where it came from; a
maintainer checking one against decs.bvsalud.org should change ``checked`` to the date.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "DeCS – Descriptores en Ciencias de la Salud (BIREME/OPS/OMS), https://decs.bvsalud.org"
SOURCE_NOTE = ("Spanish descriptor names of DeCS for the same MeSH headings, written from DeCS "
               "without an online check in this version")


@dataclass(frozen=True)
class DecsLabel:
    mesh: str  # the English MeSH heading (or entry term) as the registry writes it
    spanish: str
    why: str  # the term's place: a registry term, an ancestor, or an inferred term
    entry_term_of: str | None = None  # the descriptor an entry term belongs to
    checked: str | None = None


_LABELS = (
    # the five MeSH terms of the seed registry page
    DecsLabel("Acute Lung Injury", "Lesión Pulmonar Aguda", "registry term"),
    DecsLabel("Acute Respiratory Distress Syndrome", "Síndrome de Dificultad Respiratoria",
              "registry term", entry_term_of="Respiratory Distress Syndrome"),
    DecsLabel("Respiratory Distress Syndrome, Adult",
              "Síndrome de Dificultad Respiratoria del Adulto", "registry term"),
    DecsLabel("Respiratory Distress Syndrome, Newborn",
              "Síndrome de Dificultad Respiratoria del Recién Nacido", "registry term"),
    DecsLabel("Syndrome", "Síndrome", "registry term"),
    # their MeSH ancestors (C08 respiratory tract diseases, C16 newborn, C23, C26)
    DecsLabel("Respiratory Distress Syndrome", "Síndrome de Dificultad Respiratoria", "ancestor"),
    DecsLabel("Lung Injury", "Lesión Pulmonar", "ancestor"),
    DecsLabel("Lung Diseases", "Enfermedades Pulmonares", "ancestor"),
    DecsLabel("Respiratory Tract Diseases", "Enfermedades Respiratorias", "ancestor"),
    DecsLabel("Respiration Disorders", "Trastornos Respiratorios", "ancestor"),
    DecsLabel("Infant, Newborn, Diseases", "Enfermedades del Recién Nacido", "ancestor"),
    DecsLabel("Thoracic Injuries", "Traumatismos Torácicos", "ancestor"),
    DecsLabel("Wounds and Injuries", "Heridas y Lesiones", "ancestor"),
    DecsLabel("Disease", "Enfermedad", "ancestor"),
    DecsLabel("Pathologic Processes", "Procesos Patológicos", "ancestor"),
    DecsLabel("Pathological Conditions, Signs and Symptoms",
              "Condiciones Patológicas, Signos y Síntomas", "ancestor"),
    # terms the related-trial rules infer (trialdesk.standards.inferred) and their ancestors
    DecsLabel("COVID-19", "COVID-19", "inferred term"),
    DecsLabel("Coronavirus Infections", "Infecciones por Coronavirus", "inferred term"),
    DecsLabel("Pneumonia, Viral", "Neumonía Viral", "inferred term"),
    DecsLabel("Respiratory Tract Infections", "Infecciones del Sistema Respiratorio",
              "inferred term"),
    DecsLabel("Respiratory Insufficiency", "Insuficiencia Respiratoria", "inferred term"),
    DecsLabel("Pneumonia", "Neumonía", "inferred term"),
    DecsLabel("Influenza, Human", "Gripe Humana", "inferred term"),
    DecsLabel("Critical Illness", "Enfermedad Crítica", "inferred term"),
    DecsLabel("Disease Attributes", "Atributos de la Enfermedad", "inferred term"),
)
LABELS: dict[str, DecsLabel] = {label.mesh.casefold(): label for label in _LABELS}


def spanish_label(term: str) -> str | None:
    """Return the DeCS Spanish label of a MeSH heading, or None when we ship none."""
    found = LABELS.get(" ".join(term.split()).casefold())
    return found.spanish if found else None
