"""The design pages: forms in, the core's numbers out. GET computes; only a simulation writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from trialdesk.stats.design.boundaries import GroupSequentialDesign, group_sequential_design
from trialdesk.stats.design.spec import EXAMPLES
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import USE_DESIGN
from trialdesk.web.design import jobs, plots, presenters
from trialdesk.web.design.actions import do_start_simulation
from trialdesk.web.design.forms import (
    BoundariesForm,
    MeansForm,
    ProportionsForm,
    ReportForm,
    SimulationForm,
    SurvivalForm,
)
from trialdesk.web.design.models import SimulationJob


def _bound_form(request: HttpRequest, form_class: type[forms.Form]) -> forms.Form:
    """A form bound to the query string once it has been submitted, else with its defaults."""
    return form_class(request.GET) if request.GET else form_class()


@require_GET
@page(USE_DESIGN, record_readers=None)
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "design/index.html", {"actor": actor})


def _inflation(data: dict[str, Any]) -> float:
    if data["looks"] == 1:
        return 1.0
    design = group_sequential_design(
        data["looks"], alpha=data["alpha"], beta=1 - data["power"], sided=data["sided"],
        spending=data["spending"],
        futility=None if data["futility"] == "none" else data["futility"])
    return float(design.inflation_factor)


def _sample_size(data: dict[str, Any], kind: str) -> dict[str, Any]:
    from trialdesk.stats.design import proportions as prop
    from trialdesk.stats.design.means import means_sample_size
    from trialdesk.stats.design.survival import survival_sample_size

    common = {"alpha": data["alpha"], "power": data["power"], "sided": data["sided"],
              "dropout": data["dropout"]}
    factor = _inflation(data)
    if kind == "proportions":
        if data["fisher"]:
            return prop.fisher_sample_size(data["p_control"], data["p_treatment"],
                                           **common).to_dict()
        return prop.proportions_sample_size(
            data["p_control"], data["p_treatment"], ratio=data["ratio"],
            continuity_correction=data["continuity_correction"], inflation_factor=factor,
            **common).to_dict()
    if kind == "survival":
        return survival_sample_size(
            data["hazard_ratio"], allocation=data["allocation"], method=data["method"],
            median_control=data["median_control"], accrual_time=data["accrual_time"],
            follow_up=data["follow_up"], dropout_hazard=data["dropout_hazard"],
            inflation_factor=factor, **common).to_dict()
    return means_sample_size(data["delta"], sd=data["sd"], test_type=data["test_type"],
                             inflation_factor=factor, **common).to_dict()


SAMPLE_SIZE_FORMS = {"proportions": ProportionsForm, "survival": SurvivalForm,
                     "means": MeansForm}


@require_GET
@page(USE_DESIGN, record_readers=None)
def sample_size(request: HttpRequest, actor: Actor, kind: str) -> HttpResponse:
    if kind not in SAMPLE_SIZE_FORMS:
        raise Http404(kind)
    form = _bound_form(request, SAMPLE_SIZE_FORMS[kind])
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = presenters.sample_size_rows(_sample_size(form.cleaned_data, kind))
        except ValueError as error:
            form.add_error(None, str(error))
    return render(request, "design/sample_size.html", {
        "actor": actor, "form": form, "kind": kind, "result": result,
        "kinds": presenters.sample_size_kinds()},
        status=400 if form.is_bound and form.errors else 200)


def _design(data: dict[str, Any]) -> GroupSequentialDesign:
    rates = data["information_rates"]
    return group_sequential_design(
        data["looks"] if rates is None else len(rates), alpha=data["alpha"], beta=data["beta"],
        sided=data["sided"], spending=data["spending"], gamma=data["gamma"], rho=data["rho"],
        information_rates=rates,
        futility=None if data["futility"] == "none" else data["futility"],
        futility_gamma=data["futility_gamma"], futility_rho=data["futility_rho"],
        binding=data["binding"])


@require_GET
@page(USE_DESIGN, record_readers=None)
def boundaries(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = _bound_form(request, BoundariesForm)
    context: dict[str, Any] = {"actor": actor, "form": form}
    if form.is_bound and form.is_valid():
        try:
            design = _design(form.cleaned_data)
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            context["design"] = presenters.design_table(design, form.cleaned_data["n_fixed"])
            context["plot"] = plots.boundary_svg(
                design, title=_("Group-sequential boundaries"),
                x_label=_("Information fraction"), upper_label=_("Upper bound (efficacy)"),
                lower_label=_("Lower bound"))
    return render(request, "design/boundaries.html", context,
                  status=400 if form.is_bound and form.errors else 200)


@require_GET
@page(USE_DESIGN, record_readers=None)
def report(request: HttpRequest, actor: Actor) -> HttpResponse:
    """What the default trial's 40 participants can detect (computed on first view)."""
    from trialdesk.stats.design.report import power_table

    form = ReportForm(request.GET or {k: f.initial for k, f in ReportForm.base_fields.items()})
    context: dict[str, Any] = {"actor": actor, "form": form}
    if form.is_valid():
        data = form.cleaned_data
        try:
            table = power_table(data["n_total"], data["p_control"], data["p_treatments"],
                                data["settings"], data["power"])
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            context["table"] = table
            context["settings"] = presenters.report_settings(table)
            if data["plot"]:
                context["plot"] = plots.report_svg(table)
    return render(request, "design/report.html", context, status=400 if form.errors else 200)


def examples() -> dict[str, str]:
    """The SPEC examples that ship with the core, by file stem."""
    return {path.stem: path.read_text(encoding="utf-8")
            for path in sorted(EXAMPLES.glob("*.toml"))}


@require_http_methods(["GET", "POST"])
@page(USE_DESIGN, record_readers=None)
def simulate(request: HttpRequest, actor: Actor) -> HttpResponse:
    shipped = examples()
    if request.method == "POST":
        form = SimulationForm(request.POST)
        if form.is_valid():
            if jobs.running_jobs() >= jobs.MAX_RUNNING:
                form.add_error(None, _("The server is running other simulations; try again in "
                                       "a minute."))
            else:
                data = form.cleaned_data
                # the action enqueues the job's task: a worker runs it
                job = do_start_simulation(actor, spec_text=data["spec"], spec=data["parsed"],
                                          sims=data["sims"], seed=data["seed"])
                return redirect("design:simulation", job_id=job.pk)
    else:
        chosen = request.GET.get("example", "default_trial")
        form = SimulationForm(initial={"spec": shipped.get(chosen, shipped["default_trial"])})
    recent = SimulationJob.objects.filter(owner=request.user).only(
        "id", "name", "state", "sims", "created_at")[: jobs.KEEP_PER_USER]
    return render(request, "design/simulate.html", {
        "actor": actor, "form": form, "examples": list(shipped), "recent": recent,
        "max_sims": jobs.MAX_SIMS}, status=400 if form.errors else 200)


def _own_job(request: HttpRequest, job_id: str) -> SimulationJob:
    """The user's own job; another user's and a missing one are the same 404."""
    job = SimulationJob.objects.filter(pk=presenters.as_uuid(job_id), owner=request.user).first()
    if job is None:
        raise Http404("no such simulation")
    return job


@require_GET
@page(USE_DESIGN, record_readers=None)
def simulation(request: HttpRequest, actor: Actor, job_id: str) -> HttpResponse:
    job = _own_job(request, job_id)
    context: dict[str, Any] = {"actor": actor, "job": job, "stale": jobs.is_stale(job)}
    if job.state == SimulationJob.QUEUED and not context["stale"]:
        context["no_worker"] = not jobs.worker_alive()
    if job.state == SimulationJob.DONE and job.result:
        context["rows"] = presenters.simulation_rows(job.result)
        context["plot"] = plots.stopping_svg(
            job.result, title=job.result["name"], y_label=_("P(stop for efficacy)"),
            look_label=_("look %(n)d"))
    return render(request, "design/simulation.html", context)


@require_GET
@page(USE_DESIGN, record_readers=None)
def simulation_status(request: HttpRequest, actor: Actor, job_id: str) -> JsonResponse:
    job = _own_job(request, job_id)
    state = SimulationJob.FAILED if jobs.is_stale(job) else job.state
    return JsonResponse({"state": state, "done": job.chunks_done, "total": job.chunks_total,
                         "percent": job.percent})
