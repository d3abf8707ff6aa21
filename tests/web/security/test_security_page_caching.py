"""Pages must not be kept by the browser: ward computers are shared.

Attack: the pharmacist looks at the pharmacy page (kit -> arm) or an investigator at an emergency
unblinding result, then signs out; the next user of the same computer presses Back or opens the
history, and the browser shows the stored page with the arms. Every signed-in page therefore
answers ``Cache-Control: no-store, private``.
"""

from __future__ import annotations

from login import signed_in_client
from security_helpers import randomize_both_arms


def _uncacheable(response) -> bool:
    value = response.headers.get("Cache-Control", "")
    directives = {part.strip() for part in value.split(",")}
    return "no-store" in directives and "private" in directives


def test_pages_that_show_arms_are_not_stored(trial):
    rows = randomize_both_arms(trial, count=4)
    pharmacist = signed_in_client(trial.users["pharmacist-co-01"])
    pharmacy = pharmacist.get("/pharmacy/")
    assert pharmacy.status_code == 200 and rows[0]["kit"] in pharmacy.content.decode()
    assert _uncacheable(pharmacy)

    investigator = signed_in_client(trial.users["investigator-co-01"])
    code = rows[0]["code"]
    result = investigator.post(f"/participants/{code}/unblind/",
                               {"reason": "Severe reaction; treatment depends on the arm"})
    assert result.status_code == 200 and 'id="arm"' in result.content.decode()
    assert _uncacheable(result)
    detail = investigator.get(f"/participants/{code}/")
    assert 'id="arm"' in detail.content.decode()
    assert _uncacheable(detail)


def test_every_signed_in_page_is_not_stored(trial):
    rows = randomize_both_arms(trial)
    code = rows[0]["code"]
    pages = {
        "investigator-co-01": ["/", f"/participants/{code}/", "/screen/",
                               f"/capture/participants/{code}/"],
        "monitor": ["/", "/audit/", "/capture/queries/"],
        "data_manager": ["/capture/worklist/", "/capture/completeness/"],
        "admin": ["/", "/audit/"],
    }
    for username, paths in pages.items():
        client = signed_in_client(trial.users[username])
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (username, path, response.status_code)
            assert _uncacheable(response), (username, path, response.headers)


def test_api_answers_that_carry_arms_are_not_stored(trial):
    """Bearer answers are not kept by shared caches, but a browser on a session may keep them."""
    rows = randomize_both_arms(trial)
    pharmacist = trial.api("pharmacist-co-01")
    assert _uncacheable(pharmacist.get("/api/v1/kits"))
    assert _uncacheable(pharmacist.get(f"/api/v1/kits/{rows[0]['kit']}"))
    investigator = trial.api("investigator-co-01")
    unblinded = investigator.post(f"/api/v1/participants/{rows[0]['code']}/unblind",
                                  {"reason": "Severe reaction; treatment depends on the arm"})
    assert unblinded.status_code == 201 and _uncacheable(unblinded)
    assert _uncacheable(investigator.get(f"/api/v1/participants/{rows[0]['code']}"))
    session = signed_in_client(trial.users["pharmacist-co-01"])
    assert _uncacheable(session.get("/api/v1/kits"))
    assert _uncacheable(trial.api("analyst").get("/api/v1/analysis/groups"))
