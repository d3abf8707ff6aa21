"""The core (protocol, randomization, blinding, eligibility, stats, standards, safety) imports no
Django."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import trialdesk

CORE_PACKAGES = (
    "protocol",
    "randomization",
    "blinding",
    "eligibility",
    "stats",
    "standards",
    "safety",
    "monitoring",
    "supply",
    "backup",
)
FORBIDDEN = ("django", "trialdesk.web", "trialdesk.cli", "trialdesk.commands")


def core_modules() -> list[str]:
    root = Path(trialdesk.__file__).parent
    modules = []
    for package in CORE_PACKAGES:
        if not (root / package / "__init__.py").exists():
            continue
        modules.append(f"trialdesk.{package}")
        for info in pkgutil.walk_packages([str(root / package)], prefix=f"trialdesk.{package}."):
            modules.append(info.name)
    return modules


def test_core_modules_are_found() -> None:
    modules = core_modules()
    assert "trialdesk.protocol.schema" in modules
    assert "trialdesk.eligibility" in modules


PROBE = """
import importlib, sys
forbidden = {forbidden!r}
for module in {modules!r}:
    importlib.import_module(module)
    bad = sorted(m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden))
    if bad:
        print(module, "imports", " ".join(bad))
        break
"""


@pytest.mark.parametrize("package", CORE_PACKAGES)
def test_core_package_imports_no_django(package: str) -> None:
    modules = [m for m in core_modules() if m.split(".")[1] == package]
    # one fresh interpreter per package: each module is checked right after its import
    probe = PROBE.format(forbidden=FORBIDDEN, modules=modules)
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
