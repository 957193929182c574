"""Pages of the script editor, the run a manager follows during a call, the suggestions and the usage report."""

from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.accounts.http import AuthedHttpRequest, is_htmx_fragment
from crm.activities.forms import PeriodForm
from crm.activities.models import InteractionType
from crm.activities.selectors import users_in_scope
from crm.core.exports import Cell, export_response
from crm.core.views import message_errors
from crm.parties.access import get_party_for
from crm.parties.models import Party
from crm.playbooks import selectors, services
from crm.playbooks.access import (
    answer_of_run,
    can_manage_scripts,
    can_run_script,
    get_answer_for,
    get_run_for,
    get_script_for,
    get_step_for,
)
from crm.playbooks.choices import Outcome
from crm.playbooks.forms import AnswerForm, ReportFilterForm, RunFinishForm, ScriptForm, StepForm
from crm.playbooks.models import Script, ScriptRun
from crm.sales.access import get_deal_for
from crm.sales.models import Deal


def _to_step(script_id: int, step_id: int) -> HttpResponseRedirect:
    """Back to the script's editor, scrolled to the step just changed."""
    return redirect(reverse("playbooks:script-detail", args=[script_id]) + f"#step-{step_id}")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _require_editor(request: AuthedHttpRequest) -> None:
    if not can_manage_scripts(request.user):
        raise PermissionDenied


@login_required
def script_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """Every script a user may follow; editors also see the switched-off ones and may add new."""
    scripts = selectors.script_list_for(request.user)
    return render(
        request, "playbooks/script_list.html", {"scripts": scripts, "can_manage": can_manage_scripts(request.user)}
    )


@login_required
def script_create_view(request: AuthedHttpRequest) -> HttpResponse:
    _require_editor(request)
    form = ScriptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            script = services.script_create(
                actor=request.user, name=data["name"], stage=data["stage"], interaction_type=data["interaction_type"],
                description=data["description"], is_active=data["is_active"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Script created. Now add its steps."))
            return redirect("playbooks:script-detail", pk=script.pk)
    return render(request, "playbooks/script_form.html", {"form": form, "script": None})


@login_required
def script_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    script = get_script_for(request.user, pk, action="change")
    initial = {
        "name": script.name, "stage": script.stage, "interaction_type": script.interaction_type,
        "description": script.description, "is_active": script.is_active, "start_step": script.start_step,
    }  # fmt: skip
    form = ScriptForm(request.POST or None, initial=initial, script=script)
    if request.method == "POST" and form.is_valid():
        try:
            services.script_update(actor=request.user, script=script, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("playbooks:script-detail", pk=script.pk)
    return render(request, "playbooks/script_form.html", {"form": form, "script": script})


def _script_page(
    request: AuthedHttpRequest, script: Script, step_form: StepForm | None = None,
    answer_forms: dict[int, AnswerForm] | None = None, status: int = 200,
) -> HttpResponse:  # fmt: skip
    steps = selectors.script_steps(script)
    can_manage = can_manage_scripts(request.user)
    forms = answer_forms or {}
    rows = [(step, forms.get(step.pk) or AnswerForm(script=script, exclude_step=step, steps=steps)) for step in steps]
    return render(
        request,
        "playbooks/script_detail.html",
        {
            "script": script, "rows": rows, "tree": selectors.script_tree(script, steps), "check": services.script_check(script), "can_manage": can_manage,
            "step_form": step_form or StepForm(), "outcomes": dict(Outcome.choices),
        },
        status=status,
    )  # fmt: skip


@login_required
def script_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The script as a tree with its check; for editors, the steps editor on the same page."""
    return _script_page(request, get_script_for(request.user, pk))


@require_POST
@login_required
def step_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    script = get_script_for(request.user, pk, action="change")
    form = StepForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.step_create(
                actor=request.user, script=script, title=data["title"], text=data["text"], position=data["position"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Step added."))
            return redirect("playbooks:script-detail", pk=script.pk)
    return _script_page(request, script, step_form=form)


@login_required
def step_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    step = get_step_for(request.user, pk)
    form = StepForm(request.POST or None, initial={"title": step.title, "text": step.text, "position": step.position})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        position = data["position"] if data["position"] is not None else step.position
        try:
            services.step_update(
                actor=request.user, step=step, title=data["title"], text=data["text"], position=position
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return _to_step(step.script_id, step.pk)
    return render(request, "playbooks/step_form.html", {"form": form, "step": step, "script": step.script})


@require_POST
@login_required
def step_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    step = get_step_for(request.user, pk)
    try:
        services.step_delete(actor=request.user, step=step)
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(request, _("Step deleted."))
    return redirect("playbooks:script-detail", pk=step.script_id)


@require_POST
@login_required
def answer_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    step = get_step_for(request.user, pk)
    form = AnswerForm(request.POST, script=step.script, exclude_step=step)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.answer_create(
                actor=request.user, step=step, label=data["label"], next_step=data["next_step"],
                outcome=data["outcome"], position=data["position"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Answer added."))
            return _to_step(step.script_id, step.pk)
    return _script_page(request, step.script, answer_forms={step.pk: form})


@login_required
def answer_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    answer = get_answer_for(request.user, pk)
    step = answer.step
    initial = {
        "label": answer.label,
        "next_step": answer.next_step,
        "outcome": answer.outcome,
        "position": answer.position,
    }
    form = AnswerForm(request.POST or None, initial=initial, script=step.script, exclude_step=step)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        position = data["position"] if data["position"] is not None else answer.position
        try:
            services.answer_update(
                actor=request.user, answer=answer, label=data["label"], next_step=data["next_step"],
                outcome=data["outcome"], position=position,
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return _to_step(step.script_id, step.pk)
    return render(request, "playbooks/answer_form.html", {"form": form, "answer": answer, "script": step.script})


@require_POST
@login_required
def answer_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    answer = get_answer_for(request.user, pk)
    services.answer_delete(actor=request.user, answer=answer)
    messages.success(request, _("Answer deleted."))
    return _to_step(answer.step.script_id, answer.step_id)


# Following a script


def _context_objects(request: AuthedHttpRequest) -> tuple[Party, Deal | None, InteractionType | None]:
    """The client (required), the deal and the interaction type a script is started for, each checked."""
    params = request.POST if request.method == "POST" else request.GET
    deal_pk, party_pk = _int(params.get("deal")), _int(params.get("party"))
    deal = get_deal_for(request.user, deal_pk) if deal_pk is not None else None
    if party_pk is None and deal is not None:
        party_pk = deal.party_id
    if party_pk is None:
        raise Http404
    party = get_party_for(request.user, party_pk)
    # The type by code (links) or by id (the contact form's own select, sent with hx-include).
    raw_type = params.get("type", "")
    types = InteractionType.objects.filter(is_active=True)
    by_type = types.filter(pk=int(raw_type)) if raw_type.isdigit() else types.filter(code=raw_type)
    interaction_type = by_type.first() if raw_type else None
    return party, deal, interaction_type


@login_required
def suggested_view(request: AuthedHttpRequest) -> HttpResponse:
    """An htmx fragment for the client card, the deal card and the call form: “Follow script «…»” buttons."""
    party, deal, interaction_type = _context_objects(request)
    scripts = selectors.suggested_scripts(request.user, deal=deal, interaction_type=interaction_type)
    return render(
        request,
        "playbooks/suggested.html",
        {
            "scripts": scripts if can_run_script(request.user, party) else [], "party": party, "deal": deal,
            "interaction_type": interaction_type,
        },
    )  # fmt: skip


@login_required
def run_start_view(request: AuthedHttpRequest) -> HttpResponse:
    """Choose a script for a client (the suggested ones first) and start following it."""
    party, deal, interaction_type = _context_objects(request)
    if not can_run_script(request.user, party):
        raise PermissionDenied
    if request.method == "POST":
        script = get_script_for(request.user, _int(request.POST.get("script")) or 0)
        resumed = selectors.open_run_for(request.user, script, party.pk) if deal is None else None
        if resumed is not None:
            return redirect("playbooks:run-detail", pk=resumed.pk)
        try:
            run = services.run_start(actor=request.user, script=script, party=party, deal=deal)
        except ValidationError as error:
            message_errors(request, error)
        else:
            return redirect("playbooks:run-detail", pk=run.pk)
    suggested = selectors.suggested_scripts(request.user, deal=deal, interaction_type=interaction_type)
    others = [s for s in selectors.script_list_for(request.user).filter(is_active=True) if s not in suggested]
    return render(
        request,
        "playbooks/run_start.html",
        {"party": party, "deal": deal, "interaction_type": interaction_type, "suggested": suggested, "others": others},
        status=400 if request.method == "POST" else 200,
    )


def _finish_form(run: ScriptRun, data: object = None) -> RunFinishForm:
    initial: dict[str, object] = {
        "subject": run.script.name,
        "result": run.get_outcome_display() if run.outcome else "",
    }
    if run.script.interaction_type_id:
        initial["type"] = run.script.interaction_type_id
    return RunFinishForm(data, initial=initial, party=run.party, needs_outcome=not run.outcome)


def _run_page(request: AuthedHttpRequest, run: ScriptRun, form: RunFinishForm | None = None) -> HttpResponse:
    step = run.current_step
    answers = list(step.answers.select_related("next_step").order_by("position", "pk")) if step else []
    show_finish = run.is_open and (step is None or request.GET.get("finish") == "1" or form is not None)
    template = "playbooks/run_detail.html" + ("#run-card" if is_htmx_fragment(request) else "")
    return render(
        request,
        template,
        {
            "run": run, "step": step, "answers": answers, "show_finish": show_finish,
            "form": form or (_finish_form(run) if show_finish else None),
            "can_change": run.user_id == request.user.pk,
            # A full page shows messages in base.html; a swapped card shows its own.
            "fragment": is_htmx_fragment(request),
        },
    )  # fmt: skip


@login_required
def run_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One step at a time: what to say, the client's possible answers, the way back, and at the end the contact form."""
    return _run_page(request, get_run_for(request.user, pk))


def _after_change(request: AuthedHttpRequest, run: ScriptRun, error: ValidationError | None) -> HttpResponse:
    if error is not None:
        message_errors(request, error)
    if is_htmx_fragment(request):
        return _run_page(request, run)
    return redirect("playbooks:run-detail", pk=run.pk)


@require_POST
@login_required
def run_answer_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    run = get_run_for(request.user, pk, action="change")
    answer = answer_of_run(run, _int(request.POST.get("answer")))
    error = None
    try:
        if answer is None:
            raise ValidationError({"answer": _("Choose one of the answers.")})
        services.run_choose(actor=request.user, run=run, answer=answer)
    except ValidationError as exc:
        error = exc
        run.refresh_from_db()
    return _after_change(request, run, error)


@require_POST
@login_required
def run_back_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    run = get_run_for(request.user, pk, action="change")
    error = None
    try:
        services.run_back(actor=request.user, run=run)
    except ValidationError as exc:
        error = exc
        run.refresh_from_db()
    return _after_change(request, run, error)


@require_POST
@login_required
def run_finish_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Log the contact with the branch taken and the outcome; then back to the deal or the client card."""
    run = get_run_for(request.user, pk, action="change")
    form = _finish_form(run, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.run_finish(
                actor=request.user, run=run, type=data["type"], outcome=data.get("outcome") or "",
                occurred_at=data["occurred_at"], direction=data["direction"],
                duration_minutes=data["duration_minutes"], subject=data["subject"], result=data["result"],
                contact_person=data["contact_person"], participants=data["participants"],
                next_step=form.next_step(request.user),
            )  # fmt: skip
        except ValidationError as error:
            run.refresh_from_db()
            form.add_error(None, error)
        else:
            messages.success(request, _("Contact logged with the script's branch and outcome."))
            target = reverse("parties:detail", args=[run.party_id])
            if is_htmx_fragment(request):
                response = HttpResponse("")
                response["HX-Redirect"] = target
                return response
            return HttpResponseRedirect(target)
    return _run_page(request, run, form)


@require_POST
@login_required
def run_abandon_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    run = get_run_for(request.user, pk, action="change")
    try:
        services.run_abandon(actor=request.user, run=run)
    except ValidationError as error:
        return _after_change(request, run, error)
    messages.info(request, _("The script was left without logging a contact."))
    return redirect("parties:detail", pk=run.party_id)


# The usage report


@login_required
def report_view(request: AuthedHttpRequest) -> HttpResponseBase:
    """Script usage per script and manager over a period, for training new staff (S13); XLSX on request."""
    period = PeriodForm(request.GET or None)
    start, end = period.period()
    filters = ReportFilterForm(
        request.GET or None, scripts=selectors.script_list_for(request.user), users=users_in_scope(request.user)
    )
    chosen = filters.cleaned_data if filters.is_valid() else {}
    script, user = chosen.get("script"), chosen.get("user")
    report = selectors.script_usage_report(
        request.user, start=start, end=end, script_id=script.pk if script else None, user_id=user.pk if user else None
    )
    if request.GET.get("format") == "xlsx":
        headers: list[Cell] = [
            _("Script"), _("Manager"), _("Runs"), _("Finished"), _("Abandoned"),
            *[label for _value, label in report.outcomes], _("Average duration, min"), _("Most common branch"),
            _("Runs on that branch"),
        ]  # fmt: skip
        lines: Iterator[list[Cell]] = (
            [
                row.script_name, row.user_name or _("All managers"), row.runs, row.finished, row.abandoned,
                *[row.outcomes[value] for value, _label in report.outcomes], row.average_minutes, row.top_branch,
                row.top_branch_runs,
            ]
            for row in report.rows
        )  # fmt: skip
        return export_response("xlsx", "script-usage", headers, lines, sheet_title=_("Script usage"))
    return render(
        request,
        "playbooks/report.html",
        {"report": report, "period": period, "filters": filters, "start": start, "end": end},
    )
