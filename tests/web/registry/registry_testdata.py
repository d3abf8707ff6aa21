"""Small synthetic ClinicalTrials.gov study documents for registry tests and the benchmark."""

from __future__ import annotations

from typing import Any


def make_study(nct_id: str, title: str, *, summary: str = "", conditions: tuple[str, ...] = (),
               interventions: tuple[str, ...] = (), status: str = "COMPLETED",
               phases: tuple[str, ...] = (), start: str | None = None,
               mesh: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a valid API v2 study document with just these facts."""
    section: dict[str, Any] = {
        "identificationModule": {"nctId": nct_id, "briefTitle": title},
        "statusModule": {"overallStatus": status},
    }
    if start:
        section["statusModule"]["startDateStruct"] = {"date": start, "type": "ACTUAL"}
    if summary:
        section["descriptionModule"] = {"briefSummary": summary}
    if conditions:
        section["conditionsModule"] = {"conditions": list(conditions)}
    if phases:
        section["designModule"] = {"studyType": "INTERVENTIONAL", "phases": list(phases)}
    if interventions:
        section["armsInterventionsModule"] = {"interventions": [
            {"type": "DRUG", "name": name} for name in interventions]}
    document: dict[str, Any] = {"protocolSection": section}
    if mesh:
        document["derivedSection"] = {"conditionBrowseModule": {
            "meshes": [{"term": term} for term in mesh]}}
    return document


SEARCH_CORPUS = [
    make_study("NCT90000001", "Tocilizumab in Severe Pneumonia", status="RECRUITING",
               phases=("PHASE3",), conditions=("Pneumonia",), interventions=("Tocilizumab",)),
    make_study("NCT90000002", "Prone Positioning Study", summary="Adults with severe pneumonia "
               "are placed prone for sixteen hours.", conditions=("Respiratory Failure",),
               phases=("NA",)),
    make_study("NCT90000003", "Vitamin D for Influenza", conditions=("Influenza",),
               interventions=("Cholecalciferol",), status="RECRUITING", phases=("PHASE2",)),
    *(make_study(f"NCT9100{i:04d}", f"Sepsis cohort {i}", conditions=("Sepsis",),
                 status="COMPLETED") for i in range(25)),
]

# (query parameters, NCT numbers expected, in order when the list is ordered)
SEARCH_CASES = [
    ({"q": "pneumonia"}, ["NCT90000001", "NCT90000002"]),  # the title match ranks first
    ({"q": "tocilizumab"}, ["NCT90000001"]),                 # an intervention
    ({"q": "cholecalciferol influenza"}, ["NCT90000003"]),   # all words must match
    ({"q": "pneumonia", "status": "RECRUITING"}, ["NCT90000001"]),
    ({"q": "pneumonia", "phase": "NA"}, ["NCT90000002"]),
    ({"condition": "influenza"}, ["NCT90000003"]),
    ({"q": 'sixteen" (prone*'}, ["NCT90000002"]),           # stray syntax does not break it
]
