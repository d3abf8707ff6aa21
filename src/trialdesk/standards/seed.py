"""What the registry ships with: the default trial and the related trials its page lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from trialdesk.protocol import Protocol
from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.ctgov.writer import LANGUAGE, study_from_protocol
from trialdesk.standards.inferred import InferredTerm, infer_terms


@dataclass(frozen=True)
class SeedStudy:
    study: Study
    source: str
    inferred: list[InferredTerm] = field(default_factory=list)


def seed_studies(protocol: Protocol) -> list[SeedStudy]:
    """Return the protocol's own record and one record per related trial of its registry page.

    A related trial's record holds only what the page gives (NCT number, title, status, phase); a
    phase the page leaves blank stays absent. Terms for the ranking are inferred and kept apart.
    """
    registry = protocol.registry
    own = study_from_protocol(protocol)
    seeds = [SeedStudy(own, "protocol",
                       infer_terms(registry.brief_title.text(LANGUAGE), *registry.conditions))]
    for trial in registry.related_trials:
        document: dict = {
            "protocolSection": {
                "identificationModule": {"nctId": trial.nct_id, "briefTitle": trial.title},
                "statusModule": {"overallStatus": trial.status},
            },
        }
        if trial.phases:
            document["protocolSection"]["designModule"] = {"phases": trial.phases}
        seeds.append(SeedStudy(Study.model_validate(document),
                               f"registry page of {registry.nct_id} (See also)",
                               infer_terms(trial.title)))
    return seeds
