"""``trialdesk --language es analyze ...`` (issue 19): each analysis's text in Spanish, with the
decimal comma; the same figures as in English; --json unchanged by the language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from trialdesk.cli import main

NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def run(language: str, *args: str):
    return CliRunner(env=NO_LOCALE).invoke(main, ["--language", language, "analyze", *args],
                                           catch_exceptions=False)


def numbers(text: str, mark: str) -> list[str]:
    """The decimal numbers of ``text`` written with ``mark``, as English would write them."""
    return [found.replace(mark, ".") for found in re.findall(rf"-?\d+{re.escape(mark)}\d+", text)]


@pytest.fixture
def adtte(test_data: Path) -> Path:
    return test_data / "cdiscpilot01" / "adam" / "adtte.xpt"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    ventilation, pf, cytokines = (tmp_path / name for name in ("vent.csv", "pf.csv", "cy.csv"))
    pd.DataFrame({"arm": ["g1"] * 3 + ["g2"] * 3, "vfd": [23, 28, 23, 0, 8, 21]}
                 ).to_csv(ventilation, index=False)
    pd.DataFrame({"arm": ["g1"] * 3 + ["g2"] * 3, "d0": [100, 120, 90, 110, 95, 130],
                  "d7": [150, 170, 120, 120, 110, 150]}).to_csv(pf, index=False)
    rows = [{"id": f"p{i}", "arm": f"g{1 + i % 2}", "day": day, "il6": value}
            for i in range(8)
            for day, value in zip((0, 7, 14), (10 + i, 8 + i / 2, 5 + i / 3), strict=True)]
    pd.DataFrame(rows).to_csv(cytokines, index=False)
    return {"vfd": ventilation, "pf": pf, "cy": cytokines}


CASES = {
    # analysis: (arguments, a Spanish word, the English heading it replaces)
    "proportions": (["--events-a", "6", "--n-a", "21", "--events-b", "6", "--n-b", "24"],
                    "diferencia de riesgos", "risk difference"),
    "survival": (["--time", "AVAL", "--censor", "CNSR", "--group", "TRTA", "--groups",
                  "Xanomeline High Dose", "--groups", "Placebo", "--at", "30"],
                 "Cociente de riesgos", "Hazard ratio"),
    "vfd": (["--group", "arm", "--vfd", "vfd"], "Desplazamiento de Hodges-Lehmann",
            "Hodges-Lehmann shift"),
    "continuous": (["--group", "arm", "--baseline", "d0", "--followup", "d7"],
                   "Diferencia ajustada del cambio", "Adjusted difference in change"),
    "repeated": (["--participant", "id", "--group", "arm", "--day", "day", "--value", "il6"],
                 "media geométrica", "geometric mean"),
}
DATA = {"survival": "adtte", "vfd": "vfd", "continuous": "pf", "repeated": "cy"}


@pytest.mark.parametrize("analysis", CASES)
def test_each_analysis_speaks_spanish_with_the_same_figures(analysis, files, adtte):
    args, spanish_word, english_heading = CASES[analysis]
    if analysis in DATA:
        args = ["--data", str(adtte if DATA[analysis] == "adtte" else files[DATA[analysis]]),
                *args]
    english, spanish = run("en", analysis, *args), run("es", analysis, *args)
    assert english.exit_code == spanish.exit_code == 0, spanish.output
    assert spanish_word in spanish.output and spanish_word not in english.output
    assert english_heading in english.output and english_heading not in spanish.output
    assert "Datos faltantes" in spanish.output or analysis == "proportions"
    assert numbers(spanish.output, ",") == numbers(english.output, ".") != []
    assert numbers(spanish.output, ".") == []  # no English decimal point left

    as_json = [json.loads(run(language, analysis, *args, "--json").output)
               for language in ("en", "es")]
    assert as_json[0] == as_json[1]


def test_consort_and_refusals_in_spanish(tmp_path):
    counts = tmp_path / "counts.json"
    counts.write_text(json.dumps({
        "assessed": 4, "excluded": {}, "randomized": 4,
        "arms": [{"label": "g1", "allocated": 2, "received": 2, "analysed": 2},
                 {"label": "g2", "allocated": 2, "received": 2, "analysed": 2}]}))
    written = run("es", "consort", "--counts", str(counts), "--out", str(tmp_path / "c.svg"))
    assert written.exit_code == 0 and "Diagrama de flujo CONSORT escrito" in written.output
    refused = run("es", "proportions", "--events-a", "1")
    assert refused.exit_code == 2
    assert "indique --events-a" in refused.output and "give --events-a" not in refused.output
