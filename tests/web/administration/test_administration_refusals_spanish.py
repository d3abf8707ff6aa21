"""Issue 20: an action's refusal reads in the page's language. The actions refuse in English (the
API keeps that text and its error codes); the administration pages translate it when they show
it, a refusal with a value (a site code, a role) as a whole sentence."""

from __future__ import annotations

import datetime as dt
import html

from api_client import ApiClient
from login import signed_in_client

from trialdesk.web.core import clock
from trialdesk.web.core.models import Membership


def _page(response) -> str:
    return html.unescape(response.content.decode())


def test_refusals_read_in_spanish_on_spanish_pages(trial):
    admin = signed_in_client(trial.users["admin"], language="es")

    own = admin.post("/administration/users/admin/deactivate",
                     {"reason": "probando la regla del propio usuario"})
    assert own.status_code == 422
    assert "un administrador no puede desactivar su propia cuenta" in _page(own)
    assert "cannot deactivate" not in _page(own)

    tomorrow = clock.today() + dt.timedelta(days=1)
    future = admin.post("/administration/users/coordinator-co-01/training",
                        {"course": "ICH GCP E6(R3)", "completed_on": tomorrow.isoformat(),
                         "expires_on": ""})
    assert future.status_code == 422 and "no debe ser posterior a hoy" in _page(future)

    taken = admin.post("/administration/sites/new", {
        "code": "CO-01", "name": "Clínica", "time_zone": "America/Bogota", "language": "es"})
    assert taken.status_code == 422 and "CO-01 ya existe" in _page(taken)
    assert "exists already" not in _page(taken)

    password = admin.post("/administration/users/admin/password",
                          {"new_password": "temporary pass phrase 41"})
    assert password.status_code == 422
    assert "un administrador cambia su propia contraseña él mismo" in _page(password)

    role = admin.post("/administration/users/monitor/roles", {
        "role": "coordinator", "site": "", "duties": "Data entry", "start_date": "",
        "end_date": ""})
    assert role.status_code == 422
    assert "la función coordinator trabaja en un centro: indique su centro" in _page(role)
    assert not Membership.objects.filter(user__username="monitor", role="coordinator").exists()


def test_the_same_refusals_stay_english_in_the_api_and_on_english_pages(trial):
    english = signed_in_client(trial.users["admin"], language="en")
    own = english.post("/administration/users/admin/deactivate",
                       {"reason": "testing the rule of one's own account"})
    assert "an administrator cannot deactivate their own account" in _page(own)

    api = ApiClient(trial.users["admin"])
    answer = api.post("/api/v1/users/admin/deactivate",
                      {"reason": "probando la regla del propio usuario"},
                      headers={"Accept-Language": "es"})
    assert answer.status_code == 409
    assert answer.json() == {"error": "own_account",
                             "detail": "an administrator cannot deactivate their own account"}
