"""`trialdesk protocol diff OLD NEW`: an amendment's classified changes, offline (issue 17)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from trialdesk.cli import main
from trialdesk.protocol import default_protocol_path

TEXT = default_protocol_path().read_text(encoding="utf-8")


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def amended(*edits: tuple[str, str]) -> str:
    text = TEXT
    for before, after in edits:
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    return text


def test_diff_prints_the_classified_changes(tmp_path):
    old = write(tmp_path, "old.toml", TEXT)
    new = write(tmp_path, "new.toml", amended(
        ("range = { min = 20, max = 700 }", "range = { min = 20, max = 600 }"),
        ("block_sizes = [2, 4]", "block_sizes = [4, 8]"),
    ))
    result = CliRunner().invoke(main, ["protocol", "diff", old, new])
    assert result.exit_code == 0, result.output
    assert "Ranges changed (1):" in result.output
    assert "~ forms.respiratory.fields.pao2.range.max: 700 -> 600" in result.output
    assert "~ design.randomization.block_sizes: (confidential) -> (confidential)" in result.output
    assert "[4, 8]" not in result.output and "4, 8" not in result.output


def test_diff_in_spanish(tmp_path):
    old = write(tmp_path, "old.toml", TEXT)
    new = write(tmp_path, "new.toml", amended(('rule = "age >= 18"', 'rule = "age >= 16"')))
    result = CliRunner().invoke(main, ["protocol", "diff", old, new, "--language", "es"])
    assert result.exit_code == 0, result.output
    assert "Elegibilidad modificada (1):" in result.output
    assert "~ eligibility.inclusion.adult.rule: age >= 18 -> age >= 16" in result.output


def test_an_unknown_language_is_an_error_naming_the_available_ones(tmp_path):
    """Not English in its place (issue 19)."""
    old, new = write(tmp_path, "a.toml", TEXT), write(tmp_path, "b.toml", TEXT)
    result = CliRunner().invoke(main, ["protocol", "diff", old, new, "--language", "fr"])
    assert result.exit_code == 2
    assert "unknown language 'fr'; available: en, es" in result.output
    assert "No changes." not in result.output


def test_the_locales_language_when_none_is_asked(tmp_path):
    old, new = write(tmp_path, "a.toml", TEXT), write(tmp_path, "b.toml", TEXT)
    spanish = CliRunner(env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": "es_CO.UTF-8"})
    result = spanish.invoke(main, ["protocol", "diff", old, new])
    assert result.exit_code == 0 and result.output.strip() == "Sin cambios."
    english = CliRunner(env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US.UTF-8"})
    assert english.invoke(main, ["protocol", "diff", old, new]).output.strip() == "No changes."


def test_identical_files_print_no_changes(tmp_path):
    old, new = write(tmp_path, "a.toml", TEXT), write(tmp_path, "b.toml", TEXT)
    result = CliRunner().invoke(main, ["protocol", "diff", old, new])
    assert result.exit_code == 0 and result.output.strip() == "No changes."


def test_an_invalid_new_protocol_exits_one_with_its_errors(tmp_path):
    old = write(tmp_path, "old.toml", TEXT)
    new = write(tmp_path, "new.toml", amended(
        ("allocation_ratio = { msc = 1, standard = 1 }",
         "allocation_ratio = { msc = 1, placebo = 1 }")))
    result = CliRunner().invoke(main, ["protocol", "diff", old, new])
    assert result.exit_code == 1
    assert "[arm-defined]" in result.output and "new.toml" in result.output


def test_diff_has_help():
    result = CliRunner().invoke(main, ["protocol", "diff", "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output and "confidential" in result.output
