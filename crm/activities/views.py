"""Pages for today's plan, logging contacts, the timeline, tasks, the bell and the reports."""

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.accounts.http import AuthedHttpRequest, is_htmx_fragment
from crm.activities import selectors, services
from crm.activities.access import (
    activities_in_trash_for,
    can_change_task,
    can_log_interaction,
    get_interaction_for,
    get_task_for,
)
from crm.activities.choices import SHIPPED_TYPES, TaskStatus
from crm.activities.forms import InteractionEditForm, InteractionForm, PeriodForm, TaskForm
from crm.activities.models import InteractionType
from crm.core.exports import Cell, export_response
from crm.core.pagination import keyset_page
from crm.core.views import keyset_pager
from crm.parties.access import get_party_for


@login_required
def today_view(request: AuthedHttpRequest) -> HttpResponse:
    """The first page after sign-in: today's plan of work with specific clients (S26)."""
    return render(request, "activities/today.html", selectors.today_plan(request.user))


@login_required
def bell_view(request: AuthedHttpRequest) -> HttpResponse:
    unread = selectors.unread_notifications(request.user)
    return render(request, "activities/bell.html", {"count": unread.count(), "notifications": unread[:10]})


@require_POST
@login_required
def notifications_read_view(request: AuthedHttpRequest) -> HttpResponse:
    services.notification_mark_read(actor=request.user)
    return bell_view(request)


def _interaction_form_response(
    request: AuthedHttpRequest, form: InteractionForm, party: Any, saved: bool
) -> HttpResponse:
    response = render(
        request,
        "activities/interaction_form.html" + ("#form" if is_htmx_fragment(request) else ""),
        {"form": form, "party": party, "saved": saved},
    )
    if saved:
        response["HX-Trigger"] = "crm:timeline, crm:bell"
    return response


@login_required
def interaction_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Log a call, meeting or letter with a client and plan the next contact in the same form."""
    party = get_party_for(request.user, pk)
    if not can_log_interaction(request.user, party):
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "activities/interaction_form.html#readonly", {"party": party})
    if request.method != "POST":
        return _interaction_form_response(request, InteractionForm(party=party), party, saved=False)
    form = InteractionForm(request.POST, party=party)
    saved = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.interaction_log(
                actor=request.user, party=party, type=data["type"], occurred_at=data["occurred_at"],
                direction=data["direction"], duration_minutes=data["duration_minutes"], subject=data["subject"],
                result=data["result"], contact_person=data["contact_person"], next_step=form.next_step(request.user),
                participants=data["participants"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            saved = True
            if not is_htmx_fragment(request):
                messages.success(request, _("Contact logged."))
                return redirect("parties:detail", pk=party.pk)
            form = InteractionForm(party=party)
    return _interaction_form_response(request, form, party, saved)


@login_required
def party_timeline_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The client's whole history as one timeline, newest first, filterable by type, paged (S9)."""
    party = get_party_for(request.user, pk)
    kind = request.GET.get("kind", "")
    type_code = request.GET.get("type", "")
    before = parse_datetime(request.GET.get("before", "") or "")
    page = selectors.party_timeline(
        request.user,
        party,
        kinds={kind} if kind in selectors.TIMELINE_KINDS else None,
        type_code=type_code,
        before=before,
    )
    template = "activities/timeline.html"
    if is_htmx_fragment(request) and before:
        template += "#entries"
    return render(
        request,
        template,
        {
            "party": party,
            "page": page,
            "kind": kind,
            "type_code": type_code,
            "types": InteractionType.objects.filter(is_active=True),
            "standalone": not is_htmx_fragment(request),
        },
    )


@login_required
def interaction_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Correct a logged interaction (its author, or who may change any); a stale version is refused."""
    interaction = get_interaction_for(request.user, pk, action="change")
    initial = {
        "type": interaction.type, "direction": interaction.direction, "duration_minutes": interaction.duration_minutes,
        "occurred_at": timezone.localtime(interaction.occurred_at).replace(second=0, microsecond=0),
        "subject": interaction.subject, "result": interaction.result, "contact_person": interaction.contact_person,
        "version": interaction.version,
    }  # fmt: skip
    form = InteractionEditForm(request.POST or None, initial=initial, party=interaction.party)
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_update(
                actor=request.user,
                interaction=interaction,
                data=form.changes(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("parties:detail", pk=interaction.party_id)
    return render(request, "activities/interaction_edit.html", {"form": form, "interaction": interaction})


@login_required
def interaction_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        raise PermissionDenied
    interaction = get_interaction_for(request.user, pk, action="change")
    services.interaction_delete(actor=request.user, interaction=interaction)
    messages.success(request, _("Interaction moved to the trash."))
    return redirect("parties:detail", pk=interaction.party_id)


@login_required
def task_list_view(request: AuthedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", TaskStatus.OPEN)
    tasks = selectors.task_list_for(request.user, status)
    page = keyset_page(tasks, ["due_at"] if status == TaskStatus.OPEN else ["-due_at"], request.GET.get("cursor"), 50)
    context = {"page": page, "pager": keyset_pager(request, page), "status": status, "now": timezone.now()}
    return render(request, "activities/task_list.html", context)


@login_required
def task_export_view(request: AuthedHttpRequest, fmt: str) -> HttpResponseBase:
    """The task list as on the page (its status tab) to CSV or XLSX (X1)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    status = request.GET.get("status", TaskStatus.OPEN)
    tasks = selectors.task_list_for(request.user, status).prefetch_related("assignees")
    ordering = "due_at" if status == TaskStatus.OPEN else "-due_at"
    headers = [_("Title"), _("Kind"), _("Status"), _("Due"), _("Client"), _("Assignees"), _("Done")]
    rows: Iterator[list[Cell]] = (
        [
            task.title, task.get_kind_display(), task.get_status_display(), timezone.localtime(task.due_at),
            task.party.name if task.party else "", ", ".join(str(u) for u in task.assignees.all()),
            timezone.localtime(task.done_at) if task.done_at else None,
        ]
        for task in tasks.order_by(ordering, "pk").iterator(chunk_size=1000)
    )  # fmt: skip
    return export_response(fmt, "tasks", headers, rows, sheet_title=str(_("Tasks")))  # type: ignore[arg-type]


@login_required
def task_create_view(request: AuthedHttpRequest) -> HttpResponse:
    if not request.user.has_perm("activities.add_task"):
        raise PermissionDenied
    party = get_party_for(request.user, int(request.GET["party"])) if request.GET.get("party", "").isdigit() else None
    form = TaskForm(request.POST or None, initial={"assignees": [request.user]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = services.task_create(
                actor=request.user, kind=data["kind"], title=data["title"], description=data["description"],
                due_at=data["due_at"], remind_at=data["remind_at"], interaction_type=data["interaction_type"],
                party=party, assignees=data["assignees"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Task created."))
            return redirect("activities:task-detail", pk=task.pk)
    return render(request, "activities/task_form.html", {"form": form, "party": party})


@login_required
def task_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = get_task_for(request.user, pk)
    can_change = can_change_task(request.user, task)
    initial = {
        "kind": task.kind, "title": task.title, "description": task.description,
        "due_at": timezone.localtime(task.due_at), "interaction_type": task.interaction_type,
        "remind_at": timezone.localtime(task.remind_at) if task.remind_at else None,
        "assignees": list(task.assignees.all()), "version": task.version,
    }  # fmt: skip
    form = TaskForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            assignees = data.pop("assignees")
            version = data.pop("version")
            try:
                services.task_update(
                    actor=request.user, task=task, data=data, expected_version=version, assignees=assignees
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("activities:task-detail", pk=task.pk)
    return render(request, "activities/task_detail.html", {"task": task, "form": form, "can_change": can_change})


@require_POST
@login_required
def task_complete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = get_task_for(request.user, pk, action="change")
    services.task_complete(actor=request.user, task=task)
    if is_htmx_fragment(request):
        response = HttpResponse("")
        response["HX-Trigger"] = "crm:timeline"
        return response
    messages.success(request, _("Task done."))
    return redirect(request.POST.get("next") or "activities:today")


@require_POST
@login_required
def task_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = get_task_for(request.user, pk, action="change")
    services.task_delete(actor=request.user, task=task)
    messages.success(request, _("Task moved to the trash."))
    return redirect("activities:task-list")


def _type_name(code: str, name: str | None) -> str:
    return name or str(SHIPPED_TYPES.get(code, code))


@login_required
def party_report_view(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """All interactions with one client by type and period (S9), on screen and as XLSX."""
    party = get_party_for(request.user, pk)
    period = PeriodForm(request.GET or None)
    start, end = period.period()
    rows = selectors.party_interaction_report(request.user, party, start=start, end=end)
    for row in rows:
        row["type_label"] = _type_name(row["type__code"], row["type__name"])
    if request.GET.get("format") == "xlsx":
        details = selectors.party_interactions_in_period(request.user, party, start=start, end=end)
        headers = [
            _("When"),
            _("Type"),
            _("Direction"),
            _("Duration, min"),
            _("Subject"),
            _("Result"),
            _("Contact person"),
            _("Author"),
        ]
        lines: Iterator[list[Cell]] = (
            [timezone.localtime(i.occurred_at), str(i.type), i.get_direction_display(), i.duration_minutes, i.subject,
             i.result, i.contact_person.name if i.contact_person else "", str(i.author)]
            for i in details.iterator(chunk_size=1000)
        )  # fmt: skip
        return export_response("xlsx", f"interactions-{party.pk}", headers, lines, sheet_title=party.name)
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        total = totals.setdefault(row["type_label"], {"count": 0, "minutes": 0})
        total["count"] += row["count"]
        total["minutes"] += row["minutes"] or 0
    return render(
        request,
        "activities/party_report.html",
        {"party": party, "rows": rows, "totals": totals, "period": period, "start": start, "end": end},
    )


@login_required
def reports_view(request: AuthedHttpRequest) -> HttpResponseBase:
    """Time accounting: each manager's interactions by type and time spent (S23)."""
    period = PeriodForm(request.GET or None)
    start, end = period.period()
    rows = selectors.time_report(request.user, start=start, end=end)
    types: dict[str, str] = {}
    people: dict[int, dict[str, Any]] = {}
    for row in rows:
        label = _type_name(row["type__code"], row["type__name"])
        types[row["type__code"]] = label
        name = " ".join(filter(None, [row["author__last_name"], row["author__first_name"]])) or row["author__username"]
        person = people.setdefault(row["author_id"], {"name": name, "cells": {}, "count": 0, "minutes": 0})
        person["cells"][row["type__code"]] = (row["count"], row["minutes"] or 0)
        person["count"] += row["count"]
        person["minutes"] += row["minutes"] or 0
    codes = sorted(types)
    table = [{**p, "cells": [p["cells"].get(code, (0, 0)) for code in codes]} for p in people.values()]
    if request.GET.get("format") == "xlsx":
        headers = (
            [_("Manager")]
            + [f"{types[c]}: {_('count')}" for c in codes]
            + [f"{types[c]}: {_('min')}" for c in codes]
            + [_("Total"), _("Total, min")]
        )
        lines = (
            [p["name"], *[c[0] for c in p["cells"]], *[c[1] for c in p["cells"]], p["count"], p["minutes"]]
            for p in table
        )
        return export_response(
            "xlsx",
            "time-report",
            headers,
            lines,
            sheet_title=str(_("Time accounting")),
        )
    return render(
        request,
        "activities/reports.html",
        {"table": table, "types": [types[c] for c in codes], "period": period, "start": start, "end": end},
    )


@login_required
def trash_view(request: AuthedHttpRequest) -> HttpResponse:
    """Deleted interactions and tasks, restorable by an administrator (X5)."""
    interactions, tasks = activities_in_trash_for(request.user)
    return render(
        request,
        "activities/trash.html",
        {
            "interactions": interactions.select_related("party", "type", "deleted_by").order_by("-deleted_at")[:200],
            "tasks": tasks.select_related("party", "deleted_by").order_by("-deleted_at")[:200],
        },
    )


@require_POST
@login_required
def trash_restore_view(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    interactions, tasks = activities_in_trash_for(request.user)
    if kind == "interaction":
        services.interaction_restore(actor=request.user, interaction=get_object_or_404(interactions, pk=pk))
    elif kind == "task":
        services.task_restore(actor=request.user, task=get_object_or_404(tasks, pk=pk))
    else:
        raise Http404
    messages.success(request, _("Restored."))
    return redirect("activities:trash")


def manifest_view(request: AuthedHttpRequest) -> HttpResponse:
    """The PWA manifest, so field reps can install the CRM on a phone (S27)."""
    import json

    from django.templatetags.static import static

    data = {
        "name": _("CRM"),
        "short_name": _("CRM"),
        "start_url": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#206bc4",
        "icons": [{"src": static("crm/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")


def service_worker_view(request: AuthedHttpRequest) -> HttpResponse:
    script = (
        "self.addEventListener('install', () => self.skipWaiting());\n"
        "self.addEventListener('fetch', (event) => {\n"
        "  if (event.request.mode === 'navigate') {\n"
        "    event.respondWith(fetch(event.request).catch(() => new Response('Offline', {status: 503})));\n"
        "  }\n"
        "});\n"
    )
    return HttpResponse(script, content_type="application/javascript")
