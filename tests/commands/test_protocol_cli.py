"""`trialdesk protocol check|show` on the command line (the language: issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from trialdesk.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "protocol" / "fixtures"


def test_check_bundled_protocol_exits_zero() -> None:
    result = CliRunner().invoke(main, ["protocol", "check"])
    assert result.exit_code == 0, result.output
    assert "valid (NCT04390152" in result.output
    assert "every text is translated into: en, es" in result.output


def test_check_bad_protocol_exits_one_with_every_error() -> None:
    bad = str(FIXTURES / "bad_three_errors.toml")
    result = CliRunner().invoke(main, ["protocol", "check", bad])
    assert result.exit_code == 1
    assert "3 errors in the protocol" in result.output
    assert "[arm-defined]" in result.output and "[form-defined]" in result.output


def test_check_lists_missing_translations() -> None:
    result = CliRunner().invoke(main, ["protocol", "check", str(FIXTURES / "minimal.toml")])
    assert result.exit_code == 0
    assert "registry.official_title: no 'es' translation" in result.output


def test_show_prints_visit_form_matrix() -> None:
    result = CliRunner().invoke(main, ["protocol", "show"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("form "))
    assert header.split() == ["form", "screening", "day0", "day1", "day3", "day7", "day14", "day28"]
    infusion = next(line for line in lines if line.startswith("infusion "))
    assert infusion.split() == ["infusion", "X"]  # due only at day 1
    column = header.index("day1")
    assert infusion[column] == "X"
    assert "Masking: QUADRUPLE" in result.output
    assert "stratum ards_severity (field): moderate, severe" in result.output


def test_show_in_spanish() -> None:
    result = CliRunner().invoke(main, ["protocol", "show", "--language", "es"])
    assert "Terapia estándar más CMM" in result.output
    # the summary's own words and the dates too (issue 19), no English heading left
    for spanish in ("Brazos (aleatorizada, meta 40):", "Enmascaramiento: QUADRUPLE",
                    "Aleatorización: permuted-blocks, tamaños de bloque confidenciales",
                    "Matriz de visitas y formularios:", "Desenlaces:",
                    "Fase 1/Fase 2 · Reclutando", "inicio 13 de enero de 2020",
                    "finalización abril de 2022"):
        assert spanish in result.output
    # (the assumptions' notes are the protocol file's own English text, not the summary's)
    summary = result.output.split("Supuestos (")[0]
    for english in ("Arms (", "Masking:", "Randomization:", "Visit x form", "Outcomes:",
                    "Visits:", "sponsor ", "January", "Recruiting"):
        assert english not in summary


def test_show_in_an_unknown_language_is_an_error_naming_the_available_ones() -> None:
    result = CliRunner().invoke(main, ["protocol", "show", "--language", "fr"])
    assert result.exit_code == 2
    assert "unknown language 'fr'; available: en, es" in result.output


# no locale variable but the one a test sets (None removes it for the run)
NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


@pytest.mark.parametrize(("locale", "heading"), [
    ({"LANG": "es_CO.UTF-8"}, "Brazos (aleatorizada"),
    ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "es_ES"}, "Brazos (aleatorizada"),
    ({"LANG": "es_CO.UTF-8", "LC_ALL": "C.UTF-8"}, "Arms (randomized"),  # LC_ALL rules
    ({"LANG": "fr_FR.UTF-8"}, "Arms (randomized"),  # no French texts: English, no error
    ({}, "Arms (randomized"),
])
def test_show_speaks_the_locales_language_when_none_is_asked(locale, heading) -> None:
    result = CliRunner(env={**NO_LOCALE, **locale}).invoke(main, ["protocol", "show"])
    assert result.exit_code == 0, result.output
    assert heading in result.output


def test_an_asked_language_wins_over_the_locale() -> None:
    result = CliRunner(env={**NO_LOCALE, "LANG": "es_CO.UTF-8"}).invoke(
        main, ["protocol", "show", "--language", "en"])
    assert result.exit_code == 0 and "Arms (randomized" in result.output


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for args in (["--help"], ["protocol", "--help"], ["protocol", "check", "--help"],
                 ["protocol", "show", "--help"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_show_never_prints_the_block_sizes() -> None:
    """What `show` prints may go to the sites: the block sizes stay out (ICH E9)."""
    for language in ("en", "es"):
        result = CliRunner().invoke(main, ["protocol", "show", "--language", language])
        assert result.exit_code == 0, result.output
        assert ("Randomization: permuted-blocks, block sizes confidential" in result.output
                or "Aleatorización: permuted-blocks, tamaños de bloque confidenciales"
                in result.output)
        assert "2, 4" not in result.output and "2 and 4" not in result.output


def test_check_and_show_take_the_confidential_file(tmp_path: Path) -> None:
    from trialdesk.protocol import default_protocol_path

    text = default_protocol_path().read_text(encoding="utf-8")
    published = tmp_path / "protocol.toml"
    published.write_text(text.replace('block_sizes = [2, 4]\n', 'confidential = true\n', 1),
                         encoding="utf-8")
    secret = tmp_path / "randomization.confidential.toml"
    secret.write_text("[randomization]\nblock_sizes = [3]\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["protocol", "check", str(published)]).exit_code == 0
    refused = CliRunner().invoke(main, ["protocol", "check", str(published),
                                        "--confidential", str(secret)])
    assert refused.exit_code == 1 and f"{secret}:2" in refused.output
    secret.write_text("[randomization]\nblock_sizes = [4, 6]\n", encoding="utf-8")
    shown = CliRunner().invoke(main, ["protocol", "show", str(published),
                                      "--confidential", str(secret)])
    assert shown.exit_code == 0 and "4, 6" not in shown.output
