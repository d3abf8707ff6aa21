"""What define.xml 2.1 says of a dataset's values beyond its columns (issue 21):

- CodeLists: the terms a coded variable holds (``Variable.codelist``), each with its decode where
  it has one (a test code its test name, an arm code its arm, SEX its words). A code list is made
  from the data written, so a blinded export's define.xml lists the dummy allocation's groups and
  never the trial's arm codes; a few CDISC lists are given whole (``FIXED``).
- Value-level metadata of a Findings domain's result (VSORRES, LBORRES): one definition a test
  code, with the data type, length and decimals of its results and its units, chosen by a
  WhereClauseDef on --TESTCD (and --ORRESU).

Plain facts are gathered here from a frame (``coded_values``, ``result_facts``); ``define`` writes
the XML.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from trialdesk.standards.sdtm.spec import Dataset
from trialdesk.standards.sdtm.xpt import max_bytes

# CDISC controlled terms given whole, in the order CDISC lists them, with their decodes
FIXED: dict[str, tuple[tuple[str, str], ...]] = {
    "NRIND": (("LOW", "LOW"), ("NORMAL", "NORMAL"), ("HIGH", "HIGH")),
    "SEX": (("F", "Female"), ("M", "Male"), ("U", "Unknown")),
    "NY": (("N", "No"), ("Y", "Yes")),
}
# a coded variable -> the variable of the same row holding its decode
_DECODED_BY = {"ARMCD": "ARM", "ACTARMCD": "ACTARM", "VSTESTCD": "VSTEST", "LBTESTCD": "LBTEST"}

Terms = tuple[tuple[str, str], ...]  # (coded value, decode): decode equal to the value if none


@dataclass(frozen=True)
class ResultFacts:
    """One test code's results (--ORRES where --TESTCD is ``testcd``) as define.xml states them."""

    testcd: str
    test: str
    data_type: str  # integer, float, or text when some result is character only (<1.5)
    length: int
    decimals: int | None  # the most digits after the point (float), else None
    units: tuple[str, ...]  # --ORRESU of every result of the test; () when some has none


def coded_values(spec: Dataset, frame: pd.DataFrame) -> dict[str, Terms]:
    """Each coded variable of ``frame`` -> the terms it holds (none: the variable is left out)."""
    found: dict[str, Terms] = {}
    for column in frame.columns:
        codelist = spec.variable(column).codelist
        if codelist is None:
            continue
        if codelist in FIXED:
            found[column] = FIXED[codelist]
            continue
        values = frame[column].astype(str)
        present = values != ""
        if not present.any():
            continue
        decode = _DECODED_BY.get(column)
        if decode in frame.columns:
            pairs = frame.loc[present, [column, decode]].astype(str).drop_duplicates(column)
            found[column] = tuple(sorted(zip(pairs[column], pairs[decode], strict=True)))
        else:
            found[column] = tuple((value, value) for value in sorted(set(values[present])))
    return found


def result_facts(spec: Dataset, frame: pd.DataFrame) -> tuple[ResultFacts, ...]:
    """The value-level facts of a Findings dataset's --ORRES, a test code at a time (() for a
    dataset without results)."""
    prefix = spec.name
    testcd, test, result, unit = (f"{prefix}{name}" for name in ("TESTCD", "TEST", "ORRES",
                                                                  "ORRESU"))
    if spec.klass != "FINDINGS" or not {testcd, result} <= set(frame.columns) or frame.empty:
        return ()
    facts = []
    for code, rows in frame.groupby(testcd, sort=True):
        results = rows[result].astype(str)
        results = results[results != ""]
        if results.empty:
            continue
        numbers = pd.to_numeric(results, errors="coerce")
        decimals = None
        if numbers.isna().any():
            data_type = "text"
        elif results.str.contains(".", regex=False).any():
            data_type = "float"
            decimals = int(results.str.partition(".")[2].str.len().max())
        else:
            data_type = "integer"
        units = rows[unit].astype(str) if unit in rows.columns else pd.Series([""])
        facts.append(ResultFacts(
            testcd=str(code), test=str(rows[test].iloc[0]) if test in rows.columns else "",
            data_type=data_type, length=max(1, max_bytes(results)), decimals=decimals,
            units=() if (units == "").any() else tuple(sorted(set(units)))))
    return tuple(facts)
