"""``trialdesk --language es randomization ...`` (issue 19): generation, commitment, verification
and the assessment of a procedure in Spanish, with the decimal comma; --json unchanged."""

from __future__ import annotations

import json

from click.testing import CliRunner

from trialdesk.cli import main

NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def run(language: str, *args: str):
    return CliRunner(env=NO_LOCALE).invoke(
        main, ["--language", language, "randomization", *args], catch_exceptions=False)


def test_generate_commit_and_verify_in_spanish(tmp_path):
    listing = tmp_path / "list.csv"
    made = run("es", "generate", "--seed-file", str(tmp_path / "seed"), "--out", str(listing),
               "--slots-per-stratum", "4")
    assert made.exit_code == 0, made.output
    assert "se creó una semilla nueva de 256 bits" in made.output
    assert "plazas en" in made.stdout and "siguiente paso: trialdesk randomization commit" \
        in made.stdout
    assert "wrote" not in made.stdout and "next:" not in made.stdout
    committed = run("es", "commit", str(listing))
    assert committed.stdout.startswith("compromiso: ") and "sal: " in committed.stdout
    assert "publique el compromiso" in committed.stdout and "salt:" not in committed.stdout
    lines = committed.stdout.splitlines()
    commitment, salt = lines[0].split(": ")[1], lines[1].split(": ")[1]
    verified = run("es", "verify", str(listing), "--salt", salt, "--commitment", commitment)
    assert verified.exit_code == 0 and verified.stdout.startswith("COINCIDE: ")
    refused = run("es", "generate", "--seed-file", str(tmp_path / "seed"), "--out", str(listing))
    assert refused.exit_code == 2 and "use --force para sobrescribirla" in refused.output


def test_assess_in_spanish_with_the_decimal_comma():
    args = ["assess", "--procedure", "permuted-blocks", "--block-sizes", "2,4", "--n", "12"]
    english, spanish = run("en", *args), run("es", *args)
    assert spanish.exit_code == 0, spanish.output
    assert spanish.stdout.startswith(
        "permuted-blocks (tamaños de bloque 2, 4; razón 1:1), n = 12, exacto\n")
    assert "aciertos al adivinar (convergencia)" in spanish.stdout
    assert "correct guesses" not in spanish.stdout and "correct guesses" in english.stdout
    assert "0,71615" in spanish.stdout and "0.71615" in english.stdout
    assert json.loads(run("es", *args, "--json").stdout) == json.loads(
        run("en", *args, "--json").stdout)
    refused = run("es", "assess", "--procedure", "nope", "--n", "4")
    assert refused.exit_code == 2 and "procedimiento desconocido 'nope'" in refused.output
