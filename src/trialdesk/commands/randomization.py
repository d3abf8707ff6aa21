"""`trialdesk randomization generate|import|commit|verify|assess`."""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from trialdesk.commands.language import N_, _, number

# an assessed procedure's parameters and the assessment's method, in words
PARAMETERS = {"block_sizes": N_("block sizes"), "ratio": N_("ratio"), "bound": N_("bound"),
              "imbalance": N_("imbalance"), "weights": N_("weights")}
METHODS = {"exact": N_("exact")}

PROTOCOL_OPTION = click.option(
    "--protocol",
    "protocol_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Protocol file (default: the bundled NCT04390152).",
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


@click.group(name="randomization")
def command() -> None:
    """Generate, commit, verify and assess allocation lists."""


def _load_protocol(path: Path | None, seed_file: Path | None = None) -> Any:
    """Load the protocol, completed by the confidential randomization file beside the seed."""
    from trialdesk.protocol import ProtocolError, load_protocol
    from trialdesk.protocol.confidential import confidential_beside

    secret = confidential_beside(seed_file.parent) if seed_file is not None else None
    try:
        return load_protocol(path, confidential=secret)
    except ProtocolError as error:
        raise click.BadParameter(str(error), param_hint="--protocol") from None


def _seed(path: Path) -> bytes:
    from trialdesk.randomization import read_or_create_seed

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seed, created = read_or_create_seed(path)
    except (OSError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint="--seed-file") from None
    for warning in caught:
        click.echo(_("warning: %(message)s") % {"message": warning.message}, err=True)
    if created:
        click.echo(_("created a new 256-bit seed in %(path)s (mode 0600); keep it secret")
                   % {"path": path}, err=True)
    return seed


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only: an allocation list names every slot's arm."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file (--force) keeps its mode otherwise
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _emit(data: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, sort_keys=True))
    else:
        for line in lines:
            click.echo(line)


@command.command()
@PROTOCOL_OPTION
@click.option(
    "--seed-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the secret seed; created with 256 random bits (mode 0600) if absent.",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--slots-per-stratum",
    type=click.IntRange(min=1),
    help="Slots per stratum (default: the target enrollment, so no stratum can run out).",
)
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@JSON_OPTION
def generate(
    protocol_path: Path | None,
    seed_file: Path,
    out: Path,
    slots_per_stratum: int | None,
    force: bool,
    as_json: bool,
) -> None:
    """Generate the allocation list from the secret seed; write OUT and OUT's .meta.json.

    The seed is read from a file, never from the command line, where it would land in the
    shell history. A randomization.confidential.toml beside the seed file gives the block sizes
    of a protocol that keeps them confidential.
    """
    if out.exists() and not force:
        raise click.BadParameter(
            _("%(out)s exists; a list may already be committed (use --force to overwrite)")
            % {"out": out},
            param_hint="--out",
        )
    from trialdesk.randomization import (
        ProcedureError,
        generate_allocation_list,
        write_allocation_csv,
    )

    protocol = _load_protocol(protocol_path, seed_file)
    seed = _seed(seed_file)
    try:
        allocation_list = generate_allocation_list(protocol, seed, slots_per_stratum)
    except ProcedureError as error:
        hint = (
            " " + _("(publish `trialdesk randomization commit-seed` instead)")
            if "DynamicAllocator" in str(error)
            else ""
        )
        raise click.UsageError(f"{error}{hint}") from None
    _write_private(out, write_allocation_csv(allocation_list))
    meta_path = out.with_suffix(".meta.json")
    metadata = allocation_list.metadata()
    # private like the list: its parameters name the block sizes, which sites must not learn
    _write_private(meta_path, json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    _emit(
        {**metadata, "out": str(out), "meta": str(meta_path)},
        as_json,
        [
            _("wrote %(slots)d slots in %(strata)d strata to %(out)s")
            % {"slots": len(allocation_list), "strata": len(allocation_list.strata), "out": out},
            _("procedure: %(procedure)s") % {"procedure": " ".join([
                allocation_list.procedure, f"v{allocation_list.procedure_version}",
                json.dumps(allocation_list.parameters, sort_keys=True)])},
            _("seed commitment: %(commitment)s")
            % {"commitment": allocation_list.seed_commitment},
            _("metadata: %(path)s") % {"path": meta_path},
            _("next: %(command)s") % {"command": f"trialdesk randomization commit {out}"},
        ],
    )


@command.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@PROTOCOL_OPTION
@click.option(
    "--seed-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Seed for kit codes, needed when the file (a REDCap table) has none.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the list.")
@JSON_OPTION
def import_(
    path: Path, protocol_path: Path | None, seed_file: Path | None, out: Path | None, as_json: bool
) -> None:
    """Validate an allocation list (trialdesk or REDCap CSV) against the protocol.

    Every problem is listed with its line; the exit code is 2 if there is any.
    """
    from trialdesk.randomization import (
        AllocationImportError,
        read_allocation_csv,
        write_allocation_csv,
    )

    protocol = _load_protocol(protocol_path, seed_file)
    seed = _seed(seed_file) if seed_file else None
    try:
        allocation_list = read_allocation_csv(
            path.read_text(encoding="utf-8-sig"), protocol, kit_code_seed=seed
        )
    except AllocationImportError as error:
        raise click.UsageError(f"{path}:\n{error}") from None
    if out:
        _write_private(out, write_allocation_csv(allocation_list))
    _emit(
        {"rows": len(allocation_list), "source": allocation_list.procedure, "valid": True},
        as_json,
        [_("%(path)s: valid, %(rows)d rows") % {"path": path, "rows": len(allocation_list)}
         + (_("; wrote %(out)s") % {"out": out} if out else "")],
    )


def _read_rows(path: Path) -> list:
    from trialdesk.randomization.csv_io import AllocationImportError, parse_allocation_rows

    try:
        return parse_allocation_rows(path.read_text(encoding="utf-8-sig"))
    except AllocationImportError as error:
        raise click.UsageError(f"{path}:\n{error}") from None


@command.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--salt", help="Salt as 64 hex digits (default: 256 fresh random bits).")
@click.option(
    "--receipt",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write per-row salted hashes here, so a later verify can name the first changed row.",
)
@JSON_OPTION
def commit(path: Path, salt: str | None, receipt: Path | None, as_json: bool) -> None:
    """Print the SHA-256 commitment to the list at PATH, to publish before the first patient.

    Publish the commitment in the registry record; keep the salt (and the list) secret until
    verification.
    """
    from trialdesk.randomization import commit_list

    rows = _read_rows(path)
    try:
        result = commit_list(rows, salt)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--salt") from None
    if receipt:
        receipt.write_text(json.dumps(result.receipt(), indent=1) + "\n", encoding="utf-8")
    _emit(
        {"commitment": result.commitment, "salt": result.salt, "rows": len(rows)},
        as_json,
        [
            _("commitment: %(commitment)s") % {"commitment": result.commitment},
            _("salt: %(salt)s") % {"salt": result.salt},
            _("publish the commitment; keep the salt secret until the list is verified"),
        ],
    )


@command.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--salt", required=True, help="The salt given by `commit` (64 hex digits).")
@click.option("--commitment", required=True, help="The published commitment (64 hex digits).")
@click.option(
    "--receipt",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The receipt written by `commit --receipt`, to name the first row that differs.",
)
@JSON_OPTION
def verify(path: Path, salt: str, commitment: str, receipt: Path | None, as_json: bool) -> None:
    """Check the list at PATH against a published commitment. Exit 0 on a match, 1 otherwise."""
    from trialdesk.randomization import verify_list

    rows = _read_rows(path)
    receipt_data = json.loads(receipt.read_text(encoding="utf-8")) if receipt else None
    try:
        result = verify_list(rows, salt, commitment, receipt_data)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--salt") from None
    _emit(
        {
            "match": result.match,
            "first_difference": result.first_difference,
            "message": result.message,
        },
        as_json,
        [(_("MATCH: %(message)s") if result.match else _("MISMATCH: %(message)s"))
         % {"message": result.message}],
    )
    sys.exit(0 if result.match else 1)


@command.command(name="commit-seed")
@PROTOCOL_OPTION
@click.option(
    "--seed-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the secret seed; created with 256 random bits (mode 0600) if absent.",
)
@JSON_OPTION
def commit_seed(protocol_path: Path | None, seed_file: Path, as_json: bool) -> None:
    """Print the commitment to the seed and, for minimization, to the procedure and its parameters.

    For minimization no list exists in advance: publish this commitment (the start of the hash
    chain) before the first patient; after database lock, revealing the seed lets anyone `replay`.
    """
    from trialdesk.randomization import DynamicAllocator, procedure_from_protocol, seed_commitment

    protocol = _load_protocol(protocol_path, seed_file)
    seed = _seed(seed_file)
    procedure = procedure_from_protocol(protocol)
    data: dict[str, Any] = {"procedure": procedure.name, "seed_commitment": seed_commitment(seed)}
    lines = [_("seed commitment: %(commitment)s") % {"commitment": data["seed_commitment"]}]
    if procedure.dynamic:
        allocator = DynamicAllocator.from_protocol(protocol, seed)
        data["commitment"] = allocator.commitment
        data["specification"] = allocator.specification()
        lines.insert(0, _("commitment (hash chain start): %(commitment)s")
                     % {"commitment": allocator.commitment})
    _emit(data, as_json, lines)


@command.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@PROTOCOL_OPTION
@click.option(
    "--seed-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The revealed seed.",
)
@click.option("--head", help="The published chain head to check against.")
@JSON_OPTION
def replay(
    path: Path, protocol_path: Path | None, seed_file: Path, head: str | None, as_json: bool
) -> None:
    """Replay minimization allocations from the revealed seed. Exit 0 if all match, 1 if not.

    PATH is a CSV in allocation order with a column `arm` and one column per stratification
    factor (its level code).
    """
    import csv
    import io

    from trialdesk.randomization import DynamicAllocator, PriorAllocation, ProcedureError

    protocol = _load_protocol(protocol_path, seed_file)
    try:
        allocator = DynamicAllocator.from_protocol(protocol, _seed(seed_file))
    except ProcedureError as error:
        raise click.UsageError(str(error)) from None
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    needed = ["arm", *(factor.code for factor in allocator.factors)]
    missing = [column for column in needed if column not in (reader.fieldnames or [])]
    if missing:
        raise click.UsageError(_("%(path)s: missing column(s) %(columns)s")
                               % {"path": path, "columns": ", ".join(missing)})
    allocations = [
        PriorAllocation(
            row["arm"].strip(), {f.code: row[f.code].strip() for f in allocator.factors}
        )
        for row in reader
    ]
    try:
        result = allocator.replay(allocations, head)
    except ProcedureError as error:
        raise click.UsageError(f"{path}: {error}") from None
    _emit(
        {
            "ok": result.ok,
            "head": result.head,
            "first_mismatch": result.first_mismatch,
            "message": result.message,
        },
        as_json,
        [(_("OK: %(message)s") if result.ok else _("MISMATCH: %(message)s"))
         % {"message": result.message}, _("chain head: %(head)s") % {"head": result.head}],
    )
    sys.exit(0 if result.ok else 1)


def _int_list(option: str, value: str) -> list[int]:
    try:
        numbers = [int(part) for part in value.replace(":", ",").split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(
            _("must be integers separated by commas, got %(value)r") % {"value": value},
            param_hint=option,
        ) from None
    if not numbers:
        raise click.BadParameter(_("must name at least one integer"), param_hint=option)
    return numbers


def _covariates(value: str) -> list[list[float]]:
    """Parse '3;2' (uniform levels) or '0.2,0.8;0.5,0.5' (level probabilities per factor)."""
    factors = []
    for part in value.split(";"):
        part = part.strip()
        try:
            if "," in part or "." in part:
                probabilities = [float(x) for x in part.split(",")]
            else:
                probabilities = [1.0] * int(part)
        except ValueError:
            probabilities = []
        if not probabilities or any(p < 0 for p in probabilities) or sum(probabilities) <= 0:
            raise click.BadParameter(
                _("each factor is a number of equally likely levels or comma-separated "
                  "probabilities, factors separated by ';' (got %(part)r)") % {"part": part},
                param_hint="--covariates",
            )
        factors.append(probabilities)
    return factors


@command.command()
@click.option(
    "--procedure",
    "name",
    required=True,
    help="complete, permuted-blocks, efron, big-stick, maximal or minimization.",
)
@click.option("--block-sizes", help="permuted-blocks: sizes, e.g. 4 or 4,6 (drawn at random).")
@click.option("--p", "p", type=float, help="efron (default 2/3) or minimization (default 0.8).")
@click.option("--bound", type=float, help="big-stick or maximal: maximum tolerated imbalance.")
@click.option("--ratio", default="1:1", show_default=True, help="Allocation ratio, e.g. 2:1.")
@click.option("--imbalance", type=click.Choice(["range", "variance"]), help="minimization.")
@click.option(
    "--covariates",
    default="3;2",
    show_default=True,
    help="minimization: factor level distributions, e.g. '3;2' or '0.3,0.7;0.5,0.5'.",
)
@click.option("--n", "n", type=click.IntRange(min=1), default=40, show_default=True)
@click.option("--sims", type=click.IntRange(min=2), default=100_000, show_default=True)
@click.option(
    "--method",
    type=click.Choice(["auto", "exact", "monte-carlo"]),
    default="auto",
    show_default=True,
    help="auto: exact where a dynamic program exists.",
)
@click.option(
    "--exceed",
    default="0,1,2,3,4",
    show_default=True,
    help="Report P(final imbalance > k) for these k.",
)
@click.option("--seed", type=int, help="Seed of the simulation (for reproducible Monte Carlo).")
@JSON_OPTION
def assess(
    name: str,
    block_sizes: str | None,
    p: float | None,
    bound: float | None,
    ratio: str,
    imbalance: str | None,
    covariates: str,
    n: int,
    sims: int,
    method: str,
    exceed: str,
    seed: int | None,
    as_json: bool,
) -> None:
    """Predictability (convergence-strategy guesses) and imbalance of a procedure."""
    from trialdesk.randomization import ProcedureError, available_procedures, get_procedure
    from trialdesk.randomization.assessment import assess as run_assessment

    if name not in available_procedures():
        raise click.BadParameter(
            _("unknown procedure %(name)r; choose from %(names)s")
            % {"name": name, "names": ", ".join(available_procedures())},
            param_hint="--procedure",
        )
    given = {"block_sizes": block_sizes, "p": p, "bound": bound, "imbalance": imbalance}
    accepted = {
        "permuted-blocks": {"block_sizes"},
        "efron": {"p"},
        "big-stick": {"bound"},
        "maximal": {"bound"},
        "minimization": {"p", "imbalance"},
    }.get(name, set())
    for key, value in given.items():
        if value is not None and key not in accepted:
            option = "--" + key.replace("_", "-")
            raise click.UsageError(_("%(option)s does not apply to --procedure %(name)s")
                                   % {"option": option, "name": name})
    parameters: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if block_sizes is not None:
        parameters["block_sizes"] = _int_list("--block-sizes", block_sizes)
    try:
        procedure = get_procedure(name, ratio=_int_list("--ratio", ratio), **parameters)
    except ProcedureError as error:
        raise click.UsageError(str(error)) from None
    options: dict[str, Any] = {}
    if name == "minimization":
        options["level_probabilities"] = _covariates(covariates)
    try:
        result = run_assessment(
            procedure,
            n,
            sims=sims,
            method=method.replace("-", "_"),  # type: ignore[arg-type]
            exceed=_int_list("--exceed", exceed),
            seed=seed,
            progress=True,
            **options,
        )
    except (ProcedureError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    data = result.to_json()
    figures = [
        (_("correct guesses (convergence)"), "correct_guess_proportion"),
        (_("expected final imbalance"), "expected_final_imbalance"),
        (_("expected max imbalance"), "expected_max_imbalance"),
        *((_("P(final imbalance > %(k)s)") % {"k": k}, f"final_imbalance_exceeds_{k}")
          for k in result.final_imbalance_exceeds),
    ]
    values = [result.correct_guess_proportion, result.expected_final_imbalance,
              result.expected_max_imbalance, *result.final_imbalance_exceeds.values()]
    width = max(32, *(len(label) for label, _key in figures))
    lines = [_heading(procedure, n, result.method, sims)]
    lines += [_line(label, value, result, key, width)
              for (label, key), value in zip(figures, values, strict=True)]
    _emit(data, as_json, lines)


def _heading(procedure: Any, n: int, method: str, sims: int) -> str:
    """The assessment's heading in words: the procedure as asked for, its parameters, n and
    the method (not the procedure's self-description, ``permuted-blocks$1$block_sizes=[2, 4]``,
    which is for files)."""
    def value(key: str, given: Any) -> str:
        if isinstance(given, (list, tuple)):
            return (":" if key == "ratio" else ", ").join(number(item) if isinstance(item, float)
                                                          else str(item) for item in given)
        return number(given) if isinstance(given, float) else str(given)

    details = "; ".join(f"{_(PARAMETERS.get(key, key.replace('_', ' ')))} {value(key, given)}"
                        for key, given in sorted(procedure.parameters.items()))
    how = (_("Monte Carlo, %(sims)d sequences") % {"sims": sims} if method == "monte_carlo"
           else _(METHODS.get(method, method)))
    return f"{procedure.name} ({details}), n = {n}, {how}"


def _line(label: str, value: float, result: Any, key: str, width: int) -> str:
    text = f"  {label:<{width}} {number(value, '.5f')}"
    if result.standard_errors:
        text += "  " + _("(s.e. %(se)s)") % {"se": number(result.standard_errors[key], ".5f")}
    return text
