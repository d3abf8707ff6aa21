"""The standards core imports no Django."""

from __future__ import annotations

import subprocess
import sys


def test_standards_import_without_django() -> None:
    code = (
        "import sys\n"
        "import trialdesk.standards.ctgov, trialdesk.standards.fhir, trialdesk.standards.related\n"
        "import trialdesk.standards.seed\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
