"""The supply rules are core: importing every supply module (and the protocol's product section)
pulls in no Django and no web code (the package is not yet on the list of
tests/test_core_imports_no_django.py)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import trialdesk.supply
modules = ["trialdesk.protocol.product", "trialdesk.protocol.product_summary", "trialdesk.supply"]
modules += [info.name for info in pkgutil.walk_packages(trialdesk.supply.__path__,
                                                        prefix="trialdesk.supply.")]
for module in modules:
    importlib.import_module(module)
forbidden = ("django", "trialdesk.web", "trialdesk.cli", "trialdesk.commands")
bad = sorted(m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden))
print(len(modules), " ".join(bad))
"""


def test_the_supply_package_imports_no_django():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    count, _, bad = result.stdout.strip().partition(" ")
    assert int(count) >= 7 and bad == ""  # the package, its 4 modules, 2 protocol ones
