"""The protocol's codes in SDTM's controlled terms (CDISC CT): tests, units, outcomes, routes.

A field the tables do not name keeps its own code (capitals, 8 characters) and label.
"""

from __future__ import annotations

# field code -> (--TESTCD, --TEST, standard unit as CDISC writes it)
VITAL_SIGNS = {
    "heart_rate": ("PULSE", "Pulse Rate", "beats/min"),
    "systolic_bp": ("SYSBP", "Systolic Blood Pressure", "mmHg"),
    "diastolic_bp": ("DIABP", "Diastolic Blood Pressure", "mmHg"),
    "temperature": ("TEMP", "Temperature", "C"),
    "respiratory_rate": ("RESP", "Respiratory Rate", "breaths/min"),
    "spo2": ("OXYSAT", "Oxygen Saturation", "%"),
    "weight": ("WEIGHT", "Weight", "kg"),
    "height": ("HEIGHT", "Height", "cm"),
}
LABORATORY = {
    "crp": ("CRP", "C Reactive Protein", "mg/L", "CHEMISTRY"),
    "ferritin": ("FERRITIN", "Ferritin", "ng/mL", "CHEMISTRY"),
    "d_dimer": ("DDIMER", "D-Dimer", "ng/mL FEU", "COAGULATION"),
    "lymphocytes": ("LYM", "Lymphocytes", "10^9/L", "HEMATOLOGY"),
    "il1b": ("IL1B", "Interleukin 1 Beta", "pg/mL", "CYTOKINES"),
    "il6": ("IL6", "Interleukin 6", "pg/mL", "CYTOKINES"),
    "tnf_alpha": ("TNFA", "Tumor Necrosis Factor Alpha", "pg/mL", "CYTOKINES"),
    "il10": ("IL10", "Interleukin 10", "pg/mL", "CYTOKINES"),
}
AE_OUTCOME = {
    "recovered": "RECOVERED/RESOLVED", "recovering": "RECOVERING/RESOLVING",
    "not_recovered": "NOT RECOVERED/NOT RESOLVED",
    "sequelae": "RECOVERED/RESOLVED WITH SEQUELAE", "fatal": "FATAL",
}
AE_CAUSALITY = {
    "unrelated": "NOT RELATED", "unlikely": "UNLIKELY RELATED", "possible": "POSSIBLY RELATED",
    "probable": "PROBABLY RELATED", "definite": "RELATED",
}
ROUTE = {"iv": "INTRAVENOUS", "oral": "ORAL", "sc": "SUBCUTANEOUS",
         "inhaled": "RESPIRATORY (INHALATION)", "other": "OTHER"}
# ISO 3166-1 alpha-3, as DM's COUNTRY asks
COUNTRY = {"Colombia": "COL", "United States": "USA", "Spain": "ESP", "Mexico": "MEX",
           "Argentina": "ARG", "Brazil": "BRA", "Chile": "CHL", "Peru": "PER"}
UNIT = {"°C": "C"}


def yes_no(value: object) -> str:
    """A yes/no field's value as Y/N ("" when not answered)."""
    if value in (True, "yes", "Y", "y", 1):
        return "Y"
    if value in (False, "no", "N", "n", 0):
        return "N"
    return ""
