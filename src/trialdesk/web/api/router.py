"""The JSON API under /api/v1/. Endpoints parse, call an access check and an action, and answer.

Every operation requires authentication unless it says ``auth=None`` (only the token exchange).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver
from django.utils.cache import add_never_cache_headers, patch_cache_control
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from trialdesk.web.accounts import two_factor
from trialdesk.web.accounts.actions import do_issue_api_token
from trialdesk.web.api.auth import AUTH
from trialdesk.web.api.errors import install_error_handlers, method_not_allowed
from trialdesk.web.api.openapi import document_errors, document_idempotency_keys
from trialdesk.web.api.parser import StrictJSONParser
from trialdesk.web.api.schemas import (
    ConsentIn,
    CorrectionIn,
    DispenseIn,
    EligibilityIn,
    EligibilityOut,
    FinalUnblindingIn,
    FinalUnblindingRequestIn,
    RandomizeIn,
    RandomizeOut,
    ScreenIn,
    TokenIn,
    TokenOut,
    UnblindIn,
)
from trialdesk.web.capture.api_locks import install_lock_refusal
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.errors import Conflict, Forbidden
from trialdesk.web.core.idempotency import FIELD, REPLAYED, REPLAYED_HEADER, idempotent
from trialdesk.web.core.permissions import (
    ANY_ROLE,
    PUBLIC,
    READ_PARTICIPANTS,
)
from trialdesk.web.trials import access, actions, presenters
from trialdesk.web.trials.actions.final_unblinding import (
    APPROVE_PERMISSION,
    REQUEST_PERMISSION,
    current_final_unblinding,
)
from trialdesk.web.trials.analysis_groups import analysis_arm_by_participant, coded_group_labels
from trialdesk.web.trials.consent_presenters import consent_view
from trialdesk.web.trials.models import (
    AllocationListRecord,
    FinalUnblinding,
    Randomization,
)
from trialdesk.web.trials.screening_fields import clean_screening_values
from trialdesk.web.trials.screening_version import actor_screening_protocol, screening_protocol


class TrialAPI(NinjaAPI):
    def create_response(self, request: HttpRequest, data: Any, *, status: int | None = None,
                        temporal_response: HttpResponse | None = None) -> HttpResponse:
        response = super().create_response(request, data, status=status,
                                           temporal_response=temporal_response)
        # Answers carry participants' data and, for some roles, arms; a browser on a shared
        # ward computer must not keep them for the next user.
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        if getattr(request, REPLAYED, False):  # the first answer to this idempotency key
            response[REPLAYED_HEADER] = "true"
        return response

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        # every operation's error answers and their one shape, documented in one place
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_errors(schema)
        document_idempotency_keys(schema)  # the Idempotency-Key header where the body takes one
        return schema

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
        return patterns, app_name, namespace


def _json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` answering a method its URL does not take (ninja: plain-text 405) in the API's
    error shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and isinstance(response, HttpResponseNotAllowed):
            return method_not_allowed(response)
        return response

    return wrapper


# the parser refuses a body that gives a key twice (the last would silently win)
api = TrialAPI(title="trialdesk", version="1", urls_namespace="api", auth=AUTH,
               parser=StrictJSONParser())
install_error_handlers(api)

__all__ = ["AuthenticationError", "ValidationError", "api"]


def _lang(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "en")[:2]


@api.post("/auth/token", auth=None, response={201: TokenOut}, tags=["auth"])
@endpoint(PUBLIC)
def create_token(request: HttpRequest, body: TokenIn) -> Status:
    """Exchange a username and password for an API token (login throttling applies); a person
    holding several roles names the one (role, site) the token acts as."""
    user = authenticate(request, username=body.username, password=body.password)
    if user is None:
        raise Forbidden("wrong username or password")
    verified = False
    if two_factor.asks_code(user):  # the second factor holds for tokens too
        check = two_factor.do_check_sign_in_code(user, body.code,
                                                 address=request.META.get("REMOTE_ADDR", ""))
        if check.device is None:
            raise Forbidden(two_factor.API_REFUSAL)
        verified = True
    # the token records the code's check: it keeps working if the role later requires one
    _, secret = do_issue_api_token(user, label="api", role=body.role, site=body.site or None,
                                   two_factor=verified)
    return Status(201, {"token": secret})


@api.get("/me", tags=["auth"])
@endpoint(ANY_ROLE)
def me(request: HttpRequest) -> dict[str, Any]:
    actor = request_actor(request)
    return {"username": actor.username, "role": actor.role, "site": actor.site,
            "permissions": sorted(actor.policy.role(actor.role).permissions)}


@api.get("/participants", tags=["participants"])
@endpoint(READ_PARTICIPANTS)
def list_participants(request: HttpRequest) -> list[dict[str, Any]]:
    actor = request_actor(request)
    participants = access.visible_participants(actor).select_related(
        "randomization__slot", "consent").order_by("code")
    return [presenters.participant_view(actor, p, _lang(request)) for p in participants]


@api.post("/participants", response={200: dict, 201: dict}, tags=["participants"])
@endpoint("screen")
def screen(request: HttpRequest, body: ScreenIn) -> Status:
    """Screen a patient: the screening log keeps every patient, eligible or not.

    Send an ``idempotency_key`` (or the ``Idempotency-Key`` header) so that a retry returns the
    participant of the first screening (200) instead of screening the patient again (201); the
    key with other values or at another site is refused (409).
    """
    actor = request_actor(request)
    key = body.idempotency_key or request.headers.get("Idempotency-Key")
    participant = actions.do_screen(actor, values=body.values, site_code=body.site,
                                    idempotency_key=key)
    view = presenters.participant_view(actor, participant, _lang(request))
    view["eligibility"] = presenters.eligibility_view(
        participant.screening.values, _lang(request), screening_protocol(participant.screening))
    return Status(200 if getattr(participant, "repeated", False) else 201, view)


@api.post("/eligibility", response=EligibilityOut, tags=["participants"])
@endpoint("screen")
def eligibility(request: HttpRequest, body: EligibilityIn) -> dict[str, Any]:
    """Evaluate screening values without storing them (the form's live result), under the
    protocol version in force at the caller's site."""
    protocol = actor_screening_protocol(request_actor(request))
    values = clean_screening_values(protocol, body.values)
    return presenters.eligibility_view(values, _lang(request), protocol)


@api.get("/participants/{code}", tags=["participants"])
@endpoint(READ_PARTICIPANTS)
def participant_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    view = presenters.participant_view(actor, participant, _lang(request))
    view["eligibility"] = presenters.eligibility_view(
        participant.screening.values, _lang(request), screening_protocol(participant.screening))
    return view


@api.patch("/participants/{code}/screening", tags=["participants"])
@endpoint("screen")
def correct_screening(request: HttpRequest, code: str, body: CorrectionIn) -> dict[str, Any]:
    """Correct screening values after their first save; the reason goes to the audit trail."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    record = actions.do_correct_screening(actor, participant, values=body.values,
                                          reason=body.reason)
    view = presenters.participant_view(actor, record.participant, _lang(request))
    view["eligibility"] = presenters.eligibility_view(record.values, _lang(request),
                                                      screening_protocol(record))
    return view


@api.post("/participants/{code}/consent", response={201: dict}, tags=["participants"])
@endpoint("enroll")
@idempotent("trials.consent")
def consent(request: HttpRequest, code: str, body: ConsentIn) -> Status:
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    record = actions.do_consent(actor, participant, **body.dict(exclude={FIELD}))
    return Status(201, {"participant": participant.code, **consent_view(record)})


@api.post("/participants/{code}/randomize", response={200: RandomizeOut, 201: RandomizeOut},
          tags=["randomization"])
@endpoint("randomize")
def randomize(request: HttpRequest, code: str, body: RandomizeIn) -> Status:
    """Randomize: returns the randomization number and kit code, never the arm.

    Send an ``idempotency_key`` (or the ``Idempotency-Key`` header) so that a retry returns the
    first result; the answer is 200 for such a repeat and 201 for a new allocation.
    """
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    key = body.idempotency_key or request.headers.get("Idempotency-Key")
    result = actions.do_randomize(actor, participant, idempotency_key=key)
    return Status(200 if result.repeated else 201, result)


@api.get("/kits", tags=["pharmacy"])
@endpoint("view_kit_arm")
def list_kits(request: HttpRequest) -> list[dict[str, Any]]:
    """The kits whose arm the caller may see: the pharmacist's own site (empty for others)."""
    actor = request_actor(request)
    return [presenters.kit_view(slot, _lang(request)) for slot in access.visible_kits(actor)]


@api.get("/kits/{kit_code}", tags=["pharmacy"])
@endpoint("view_kit_arm", record_readers=("view_kit_arm",))
def kit_detail(request: HttpRequest, kit_code: str) -> dict[str, Any]:
    actor = request_actor(request)
    return presenters.kit_view(access.access_kit_by_code(actor, kit_code), _lang(request))


@api.post("/kits/{kit_code}/dispense", response={201: dict}, tags=["pharmacy"])
@endpoint("record_dispensing", record_readers=("view_kit_arm",))
@idempotent("trials.dispense")
def dispense(request: HttpRequest, kit_code: str, body: DispenseIn) -> Status:
    actor = request_actor(request)
    slot = access.access_kit_by_code(actor, kit_code)
    record = actions.do_dispense(actor, slot, lot=body.lot)
    return Status(201, {"kit_code": slot.kit_code, "lot": record.lot,
                        "dispensed_at": record.dispensed_at.isoformat()})


@api.post("/participants/{code}/unblind", response={201: dict}, tags=["unblinding"])
@endpoint("request_unblinding")
@idempotent("trials.unblind")
def unblind(request: HttpRequest, code: str, body: UnblindIn) -> Status:
    """Emergency unblinding: the arm is shown to the requester, for this participant only.

    With an ``idempotency_key`` a retry answers the first answer (to the requester only) and
    neither records nor notifies the sponsor and the DSMB again."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    arm = actions.do_unblind(actor, participant, reason=body.reason)
    return Status(201, {"participant": participant.code, "arm": arm,
                        "arm_label": presenters.arm_label(arm, _lang(request))})


@api.get("/analysis/groups", tags=["analysis"])
@endpoint("blinded_analysis")
def coded_groups(request: HttpRequest) -> list[dict[str, Any]]:
    """Randomized participants with their coded group ("group 1", ...) for blinded analysis.

    Until the final unblinding the groups are those of the dummy allocation (``allocation``:
    "dummy"): programs are written and checked on them; afterwards the real ones ("real", with the
    arm). The group-to-arm mapping is keyed by the server's secret and never sent.
    """
    actor = request_actor(request)
    labels = coded_group_labels()
    unblinded = access.trial_unblinded_for(actor)
    arm_of = analysis_arm_by_participant(real=unblinded)
    codes = Randomization.objects.order_by("pk").values_list("participant__code", flat=True)
    allocation = "real" if unblinded else "dummy"
    rows = [{"participant": code, "group": labels[arm_of[code]], "allocation": allocation}
            for code in codes]
    if unblinded:  # after the final unblinding the arms are open
        for row in rows:
            row["arm"] = arm_of[row["participant"]]
    return rows


@api.get("/analysis/group-mapping", tags=["analysis"])
@endpoint("blinded_analysis")
def coded_group_mapping(request: HttpRequest) -> dict[str, Any]:
    """Which coded group is which arm: answered only after the final unblinding (409 before)."""
    actor = request_actor(request)
    if not access.trial_unblinded_for(actor):
        raise Conflict("trial_blinded", "the mapping opens with the final unblinding")
    labels = coded_group_labels()
    return {"mapping": [{"group": group, "arm": arm, "arm_label": presenters.arm_label(arm, _lang(
        request))} for arm, group in sorted(labels.items(), key=lambda item: item[1])]}


def _final_unblinding_view(actor: Actor, record: FinalUnblinding | None) -> dict[str, Any]:
    if record is None:
        return {"state": "blinded"}
    view: dict[str, Any] = {
        "state": "unblinded" if record.approved_at else "requested",
        "requested_by": record.requested_by.get_username(),
        "requested_at": record.requested_at.isoformat(), "reason": record.reason,
    }
    if record.approved_at:
        view.update(approved_by=record.approved_by.get_username(),
                    approved_at=record.approved_at.isoformat(),
                    approval_reason=record.approval_reason)
        scheme = AllocationListRecord.objects.first()
        if scheme is not None and scheme.seed and access.sees_every_arm(actor):
            # revealed so that anyone holding the arms can replay every dynamic allocation
            view["allocation_seed"] = scheme.seed
            view["allocation_commitment"] = scheme.commitment
    return view


@api.get("/final-unblinding", tags=["final unblinding"])
@endpoint(ANY_ROLE)
def final_unblinding(request: HttpRequest) -> dict[str, Any]:
    """Whether the trial is unblinded for the final analysis: who asked, who approved, why."""
    return _final_unblinding_view(request_actor(request), current_final_unblinding())


@api.post("/final-unblinding", response={201: dict}, tags=["final unblinding"])
@endpoint(REQUEST_PERMISSION)
@idempotent("trials.request_final_unblinding")
def request_final_unblinding(request: HttpRequest, body: FinalUnblindingRequestIn) -> Status:
    """Ask to unblind the trial (data manager, after database lock); the DSMB approves."""
    actor = request_actor(request)
    record = actions.do_request_final_unblinding(actor, reason=body.reason)
    return Status(201, _final_unblinding_view(actor, record))


@api.post("/final-unblinding/approve", tags=["final unblinding"])
@endpoint(APPROVE_PERMISSION)
def approve_final_unblinding(request: HttpRequest, body: FinalUnblindingIn) -> dict[str, Any]:
    """Approve the pending request (DSMB statistician, another person than the requester)."""
    actor = request_actor(request)
    record = actions.do_approve_final_unblinding(actor, reason=body.reason)
    return _final_unblinding_view(actor, record)


api.add_router("", "trialdesk.web.capture.api.router")  # data capture (issue 7)
api.add_router("", "trialdesk.web.capture.api_locks.router")  # lock checklist, overrides
install_lock_refusal(api)  # a lock refused by its checklist: 409 with the list
api.add_router("", "trialdesk.web.accounts.api.router")  # users (manage_users)
api.add_router("", "trialdesk.web.redcap.api.router")  # users' REDCap tokens (issue 22)
api.add_router("", "trialdesk.web.trials.api_sites.router")  # sites (manage_sites)
api.add_router("", "trialdesk.web.trials.api_protocol.router")  # the running protocol
api.add_router("", "trialdesk.web.trials.api_dsmb.router")  # DSMB recommendations
api.add_router("", "trialdesk.web.capture.api_adverse_events.router")  # adverse events
api.add_router("", "trialdesk.web.trials.api_audit.router")  # audit trail, unblinding events
api.add_router("", "trialdesk.web.safety.api.router")  # adverse events as records (issue 15)
api.add_router("", "trialdesk.web.dsmb.api.router")  # DSMB meetings, reports, stopping rule
api.add_router("", "trialdesk.web.deviations.api.router")  # protocol deviations (issue 16)
api.add_router("", "trialdesk.web.monitoring.api.router")  # source data verification, visits
api.add_router("", "trialdesk.web.trials.api_consent.router")  # consent history, events (issue 17)
api.add_router("", "trialdesk.web.amendments.api.router")  # protocol amendments (issue 17)
api.add_router("", "trialdesk.web.exports.api.router")  # data exports (issue 21)
api.add_router("", "trialdesk.web.reports.api.router")  # analysis report jobs (issue 20)
api.add_router("", "trialdesk.web.supply.api.router")  # lots, shipments, stock (issue 18)
