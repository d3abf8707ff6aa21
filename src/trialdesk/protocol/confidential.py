"""The randomization parameters a protocol keeps out of its own file (ICH E9: block sizes are not
disclosed to the investigators).

A protocol file is shared with the sites and published; the block sizes must not be in it, or
anyone at a site could count a block to its end and predict the last allocations. Such a protocol
says ``confidential = true`` in ``[design.randomization]`` and leaves ``block_sizes`` (and any
secret ``parameters``) to a file named ``randomization.confidential.toml`` kept beside the secret
allocation seed (the server's data directory; ``--seed-file``'s folder for the command line)::

    # randomization.confidential.toml: as secret as the seed, never published
    [randomization]
    block_sizes = [2, 4]
    parameters = { slots_per_stratum = 40 }   # optional, merged into the protocol's parameters

It also keeps the source data verification plan's seed (``[monitoring] seed = "..."``, issue 16):
a site that knew it could compute which of its forms a monitor will verify. That seed is never in
a protocol file, confidential or not; without it the server makes one in its data directory.

Its values override or complete the protocol's randomization section when the protocol is loaded
with it. Without it, the protocol still loads (to check or show it), but a list cannot be made from
it: the randomization refuses a confidential protocol whose block sizes were not loaded. A protocol
that keeps its block sizes in its own file (the bundled NCT04390152) works as before.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialdesk.protocol.errors import ProtocolError, ProtocolIssue
from trialdesk.protocol.locate import LineIndex

CONFIDENTIAL_FILE = "randomization.confidential.toml"
# the keys of [design.randomization] the confidential file may give
CONFIDENTIAL_KEYS = ("block_sizes", "parameters")
SECTION = "design.randomization"
# the keys of [monitoring] it may give, and that a protocol file must never hold
MONITORING_KEYS = ("seed",)
TABLES = ("randomization", "monitoring")


@dataclass(frozen=True)
class Confidential:
    """The parsed confidential file: its ``[randomization]`` values, its name and its lines."""

    values: dict[str, Any]
    file: str
    lines: LineIndex
    monitoring: dict[str, Any] = field(default_factory=dict)  # its [monitoring] values

    def line_of(self, protocol_path: str) -> int | None:
        """Return the line of a protocol path (``design.randomization.block_sizes[1]``) in this
        file, or None when the path is not one this file gives."""
        if protocol_path.startswith("monitoring."):
            key = protocol_path.split(".")[1]
            return self.lines.line_of(protocol_path) if key in self.monitoring else None
        if not protocol_path.startswith(SECTION + "."):
            return None
        local = "randomization" + protocol_path[len(SECTION):]
        key = protocol_path[len(SECTION) + 1:].split(".")[0].split("[")[0]
        return self.lines.line_of(local) if key in self.values else None


def confidential_beside(folder: Path) -> Path | None:
    """Return the confidential file in ``folder`` (the seed's), or None if there is none."""
    path = folder / CONFIDENTIAL_FILE
    return path if path.is_file() else None


def read_confidential(path: Path) -> Confidential:
    """Read and check a confidential file; raise ProtocolError naming its problems."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ProtocolError([ProtocolIssue("", "readable", str(error), file=file)]) from error
    lines = LineIndex(text)
    issues = [ProtocolIssue(key, "extra_forbidden", f"unknown key {key!r}", file,
                            lines.line_of(key)) for key in data if key not in TABLES]
    values = data.get("randomization", {} if "monitoring" in data else None)
    monitoring = data.get("monitoring", {})
    if not isinstance(values, dict) or not isinstance(monitoring, dict):
        issues.append(ProtocolIssue("randomization", "missing",
                                    "a [randomization] table is required", file))
        raise ProtocolError(issues)
    issues += [ProtocolIssue(f"monitoring.{key}", "extra_forbidden",
                             f"unknown key {key!r}; allowed: {', '.join(MONITORING_KEYS)}",
                             file, lines.line_of(f"monitoring.{key}"))
               for key in monitoring if key not in MONITORING_KEYS]
    issues += [ProtocolIssue(f"randomization.{key}", "extra_forbidden",
                             f"unknown key {key!r}; allowed: {', '.join(CONFIDENTIAL_KEYS)}",
                             file, lines.line_of(f"randomization.{key}"))
               for key in values if key not in CONFIDENTIAL_KEYS]
    if "parameters" in values and not isinstance(values["parameters"], dict):
        issues.append(ProtocolIssue("randomization.parameters", "dict_type",
                                    "must be a table", file,
                                    lines.line_of("randomization.parameters")))
    if issues:
        raise ProtocolError(issues)
    return Confidential(values, file, lines, monitoring)


def kept_in_file(data: dict[str, Any]) -> list[str]:
    """Return the confidential keys a protocol marked confidential still writes itself."""
    randomization = data.get("design", {}).get("randomization", {})
    if not isinstance(randomization, dict) or randomization.get("confidential") is not True:
        return []
    return [key for key in ("block_sizes",) if randomization.get(key)]


def monitoring_secrets_in_file(data: dict[str, Any]) -> list[str]:
    """Return the paths of the monitoring plan's secrets a protocol file writes (it never may)."""
    monitoring = data.get("monitoring", {})
    if not isinstance(monitoring, dict):
        return []
    return [f"monitoring.{key}" for key in MONITORING_KEYS if key in monitoring]


def merge(data: dict[str, Any], confidential: Confidential) -> dict[str, Any]:
    """Return the protocol data with the confidential values in its randomization section."""
    design = dict(data.get("design", {}))
    randomization = dict(design.get("randomization", {}))
    for key, value in confidential.values.items():
        if key == "parameters":
            randomization[key] = {**randomization.get(key, {}), **value}
        else:
            randomization[key] = value
    design["randomization"] = randomization
    merged = {**data, "design": design}
    # a protocol without a plan has nothing for the seed to complete
    if confidential.monitoring and isinstance(data.get("monitoring"), dict):
        merged["monitoring"] = {**data["monitoring"], **confidential.monitoring}
    return merged
