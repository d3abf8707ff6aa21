"""Issue 19, one design: every state a page shows (a participant's, a visit's, a form's, a
query's, an adverse event's, a site's, a lot's or shipment's, a background job's, a monitoring
visit's, a deviation's) is a badge from the one ``badge`` tag, in the reader's words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from enrollment import randomize
from login import signed_in_client

import trialdesk.web

WEB = Path(trialdesk.web.__file__).parent
# a state printed as text, a label filter's or raw: {{ x.status|capture_label }}, {{ job.state }}
PLAIN_STATE = re.compile(r"\{\{\s*[\w.]*\b(status|state)(\|\w+_label)?\s*\}\}")
# documents, not pages (a printed letter), and the public registry's own record fields
NOT_PAGES = {"monitoring/templates/monitoring/letter.html",
             "registry/templates/registry/record.html",
             "registry/templates/registry/search.html"}
# not a state: a criterion's result (met is good for an inclusion, bad for an exclusion: the one
# that keeps a patient out is highlighted instead), a record's last verification step (an action)
NOT_STATES = {"{{ c.status|criterion_label }}", "{{ f.last.status|monitoring_label }}"}


def test_no_page_template_prints_a_state_outside_a_badge():
    found = []
    for path in sorted(WEB.rglob("templates/**/*.html")):
        name = str(path.relative_to(WEB))
        if name in NOT_PAGES:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            # an attribute's value (data-status="...") is for scripts and tests, not read
            shown = re.sub(r'[\w-]+="[^"]*"', "", line)
            found += [f"{name}:{number}: {m.group(0)}" for m in PLAIN_STATE.finditer(shown)
                      if m.group(0) not in NOT_STATES]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("language", "randomized", "due", "not_started"), [
    ("en", "Randomized", "due", "not started"),
    ("es", "Aleatorizado", "pendiente", "sin empezar"),
])
def test_the_dashboard_and_the_visits_show_states_as_badges_in_words(
        trial, language, randomized, due, not_started):
    code, _kit = randomize(trial.api("investigator-co-01"))
    client = signed_in_client(trial.users["coordinator-co-01"], language=language)
    dashboard = client.get("/").content.decode()
    assert f'<span class="badge badge-ok" data-state="randomized">{randomized}</span>' in (
        dashboard)
    assert f'<span class="badge badge-warn" data-state="due">{due}</span>' in dashboard
    visits = client.get(f"/capture/participants/{code}/").content.decode()
    row = re.search(r'<tr id="visit-day0".*?</tr>', visits, re.S).group(0)
    assert f'<td class="visit-status"><span class="badge badge-warn" data-state="due">{due}' in row
    assert (f'data-form="vital_signs"><span class="badge badge-info" data-state="not_started">'
            f'{not_started}</span>') in row
