"""The monitoring plan as `trialdesk protocol show` prints it, in English or Spanish (issue 16):
what is verified in full, the sampled shares, the visits' interval. Never the sample's seed: what
`show` prints may go to the sites, and a site that knew the seed could tell which forms will be
verified."""

from __future__ import annotations

from trialdesk.protocol.monitoring import FieldMark, Monitoring

TEXTS = {
    "en": {
        "title": "Source data verification (monitoring plan):",
        "full": "100% verified:",
        "consent": "each participant's consent",
        "screening": "each screening record (the values eligibility was decided on)",
        "eligibility": "eligibility forms: {}",
        "primary_outcome": "primary outcome forms: {}",
        "serious": "serious adverse events: {}",
        "deaths": "deaths: {}",
        "safety_database": "serious events and deaths of the safety database",
        "sampled": "Sampled: {share} of the other records, drawn per {unit}",
        "form": "form entry",
        "participant": "participant (all of a sampled participant's records)",
        "risk": ("Risk-based: {share} at a site raising at least {rate} queries per entered form "
                 "(from {forms} forms)"),
        "visits": "Monitoring visits: every {days} days per site",
        "secret": "The sample's seed is confidential (kept beside the allocation seed).",
    },
    "es": {
        "title": "Verificación de datos fuente (plan de monitoreo):",
        "full": "Verificado al 100 %:",
        "consent": "el consentimiento de cada participante",
        "screening": "cada registro de selección (los valores con que se decidió la elegibilidad)",
        "eligibility": "formularios de elegibilidad: {}",
        "primary_outcome": "formularios del desenlace primario: {}",
        "serious": "eventos adversos graves: {}",
        "deaths": "muertes: {}",
        "safety_database": "eventos graves y muertes de la base de datos de seguridad",
        "sampled": "Muestra: {share} de los demás registros, sorteada por {unit}",
        "form": "formulario ingresado",
        "participant": "participante (todos los registros de un participante sorteado)",
        "risk": ("Según el riesgo: {share} en un centro con al menos {rate} consultas por "
                 "formulario ingresado (desde {forms} formularios)"),
        "visits": "Visitas de monitoreo: cada {days} días por centro",
        "secret": ("La semilla de la muestra es confidencial (se guarda junto a la semilla de "
                   "asignación)."),
    },
}


def _percent(share: float, language: str) -> str:
    text = f"{share * 100:.3g}"
    return (text.replace(".", ",") + " %") if language == "es" else text + "%"


def _number(value: float, language: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if language == "es" else text


def _marks(marks: list[FieldMark]) -> str:
    return "; ".join(f"{m.form}.{m.field} = {'/'.join(m.values)}" for m in marks)


def monitoring_lines(plan: Monitoring | None, language: str = "en") -> list[str]:
    """The plan's lines (none for a protocol without ``[monitoring]``)."""
    if plan is None:
        return []
    text = TEXTS.get(language, TEXTS["en"])
    full = plan.full
    items = [text["consent"]] if full.consent else []
    items += [text["screening"]] if full.screening else []
    items += [text["eligibility"].format(", ".join(full.eligibility))] if full.eligibility else []
    items += ([text["primary_outcome"].format(", ".join(full.primary_outcome))]
              if full.primary_outcome else [])
    items += ([text["serious"].format(_marks(full.serious_adverse_events))]
              if full.serious_adverse_events else [])
    items += [text["deaths"].format(_marks(full.deaths))] if full.deaths else []
    items += [text["safety_database"]] if full.safety_database else []
    lines = [text["title"], f"  {text['full']}", *(f"    - {item}" for item in items),
             "  " + text["sampled"].format(share=_percent(plan.share, language),
                                           unit=text[plan.unit])]
    if plan.risk is not None:
        lines.append("  " + text["risk"].format(share=_percent(plan.risk.share, language),
                                                rate=_number(plan.risk.query_rate, language),
                                                forms=plan.risk.min_forms))
    lines.append("  " + text["visits"].format(days=plan.visit_interval_days))
    lines.append("  " + text["secret"])
    return lines
