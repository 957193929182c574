"""Lead pages (S24): the list with its tabs, intake, the card with assign/qualify/reject, the rules, the site's form."""

import hmac
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.accounts.http import AuthedHttpRequest
from crm.core.net import client_address
from crm.core.pagination import capped_count, keyset_page
from crm.core.ratelimit import over_limit
from crm.core.views import add_service_errors, message_errors, query_without_cursor, render_keyset_list
from crm.sales.forms_leads import AssignForm, LeadForm, LeadRuleForm, QualifyForm, RejectForm, WebForm
from crm.sales.leads import selectors, services
from crm.sales.leads.access import (
    OPEN_STATUSES,
    can_add_lead,
    can_change_lead,
    can_distribute_leads,
    can_own_leads,
    get_lead_for,
    get_lead_rule_for,
    lead_rules_for,
)
from crm.sales.models import Lead

# The site's form: at most this many bytes per post, and (unless CRM_LEAD_FORM_RATE_PER_MINUTE says
# otherwise) this many posts per address per minute.
WEBFORM_MAX_BYTES = 20_000
WEBFORM_RATE_PER_MINUTE = 10


@login_required
def lead_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """Leads by tab (the inbox of new ones, mine, all I may see) with filters; bulk assignment for heads of sales."""
    user = request.user
    tab = selectors.tab_from(request.GET.get("tab"), user)
    lead_filter = selectors.LeadFilter(request.GET, queryset=selectors.lead_list_for(user, tab))
    page = keyset_page(lead_filter.qs, ["-created_at"], request.GET.get("cursor"), size=50)
    without_tab = query_without_cursor(request)
    without_tab.pop("tab", None)
    shown_tabs = [t for t in selectors.TABS if t != "new" or can_distribute_leads(user)]
    context = {
        "filter": lead_filter,
        "tab": tab,
        "tabs": [(t, capped_count(selectors.lead_list_for(user, t))[0]) for t in shown_tabs],
        "filter_query": without_tab.urlencode(),
        "can_distribute": can_distribute_leads(user),
        "assign_form": AssignForm() if can_distribute_leads(user) else None,
    }
    return render_keyset_list(request, "sales/lead_list.html", page, context)


@login_required
def lead_create_view(request: AuthedHttpRequest) -> HttpResponse:
    """A request taken by phone or from a letter; the rules hand it out unless the author takes it."""
    user = request.user
    if not can_add_lead(user):
        raise PermissionDenied
    form = LeadForm(request.POST or None, can_take=can_own_leads(user))
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_create(
                actor=user, data=form.lead_data(), owner=user if form.cleaned_data.get("take") else None
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if lead.owner is None:
                messages.success(request, _("Lead registered; it waits in the inbox of the head of sales."))
            else:
                messages.success(request, _("Lead registered and given to %(name)s.") % {"name": lead.owner})
            if can_own_leads(user):
                return redirect("sales:lead-detail", pk=lead.pk)
            # Operators do not work leads once entered (they find them under "Mine"): on to the next call.
            return redirect("sales:lead-create")
    return render(request, "sales/lead_form.html", {"form": form})


def _detail_context(request: AuthedHttpRequest, lead: Lead, **forms: Any) -> dict[str, Any]:
    user = request.user
    can_change = can_change_lead(user, lead) and lead.status in OPEN_STATUSES
    can_assign = can_distribute_leads(user) and lead.status in OPEN_STATUSES
    return {
        "lead": selectors.lead_detail_for(lead),
        "can_change": can_change,
        "can_assign": can_assign,
        "assign_form": forms.get("assign_form") or (AssignForm() if can_assign else None),
        "reject_form": forms.get("reject_form") or (RejectForm() if can_change else None),
        "candidates": selectors.lead_client_candidates(user, lead) if can_change else [],
    }


@login_required
def lead_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for(request.user, pk)
    return render(request, "sales/lead_detail.html", _detail_context(request, lead))


@require_POST
@login_required
def lead_assign_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The head of sales gives one lead to a manager by hand."""
    lead = get_lead_for(request.user, pk, action="assign")
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            services.lead_assign(actor=request.user, leads=[lead], owner=form.cleaned_data["owner"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Lead given to %(name)s.") % {"name": form.cleaned_data["owner"]})
            return redirect("sales:lead-detail", pk=lead.pk)
    return render(request, "sales/lead_detail.html", _detail_context(request, lead, assign_form=form))


@require_POST
@login_required
def lead_bulk_assign_view(request: AuthedHttpRequest) -> HttpResponse:
    """The ticked leads of the list go to one manager at once (S24)."""
    if not can_distribute_leads(request.user):
        raise PermissionDenied
    chosen = [int(v) for v in request.POST.getlist("lead") if v.isdigit()]
    leads = selectors.lead_list_for(request.user).filter(pk__in=chosen)
    form = AssignForm(request.POST)
    back = reverse("sales:lead-list") + "?" + request.GET.urlencode()
    if not form.is_valid():
        messages.error(request, _("Choose a manager."))
        return redirect(back)
    try:
        moved = services.lead_assign(actor=request.user, leads=leads, owner=form.cleaned_data["owner"])
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(request, _("Leads assigned: %(count)d.") % {"count": moved})
    return redirect(back)


@login_required
def lead_qualify_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Turn the lead into a client (found or new) and a deal in the chosen pipeline."""
    lead = get_lead_for(request.user, pk, action="change")
    if lead.status not in OPEN_STATUSES:
        messages.error(request, _("This lead is already closed."))
        return redirect("sales:lead-detail", pk=lead.pk)
    candidates = selectors.lead_client_candidates(request.user, lead)
    form = QualifyForm(request.POST or None, lead=lead, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.lead_qualify(
                actor=request.user,
                lead=lead,
                pipeline=data["pipeline"],
                stage=data["stage"],
                party=form.chosen_party(),
                party_kind=data["party_kind"],
                deal_title=data["deal_title"],
                currency=data["currency"],
            )
        except ValidationError as error:
            lead.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Lead qualified: the client and the deal are created."))
            return redirect("sales:lead-detail", pk=lead.pk)
    return render(request, "sales/lead_qualify.html", {"lead": lead, "form": form, "candidates": candidates})


@require_POST
@login_required
def lead_reject_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for(request.user, pk, action="change")
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.lead_reject(actor=request.user, lead=lead, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            lead.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Lead rejected."))
            return redirect("sales:lead-detail", pk=lead.pk)
    return render(request, "sales/lead_detail.html", _detail_context(request, lead, reject_form=form))


@login_required
def lead_rule_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """The distribution rules in the order they are tried, with each manager's current load."""
    rules = list(lead_rules_for(request.user).prefetch_related("managers").select_related("last_assigned"))
    loads = selectors.manager_loads({m.pk for rule in rules for m in rule.managers.all()})
    rows = [(rule, [(m, loads[m.pk]) for m in rule.managers.all()]) for rule in rules]
    return render(request, "sales/lead_rules.html", {"rows": rows})


@login_required
def lead_rule_create_view(request: AuthedHttpRequest) -> HttpResponse:
    lead_rules_for(request.user)
    form = LeadRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_rule_create(actor=request.user, data=form.rule_data(), managers=form.cleaned_data["managers"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("sales:lead-rule-list")
    return render(request, "sales/lead_rule_form.html", {"form": form})


@login_required
def lead_rule_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_lead_rule_for(request.user, pk)
    initial = {
        "name": rule.name, "kind": rule.kind, "match_values": rule.match_values, "is_active": rule.is_active,
        "managers": list(rule.managers.all()),
    }  # fmt: skip
    form = LeadRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_rule_update(
                actor=request.user, rule=rule, data=form.rule_data(), managers=form.cleaned_data["managers"]
            )
        except ValidationError as error:
            rule.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("sales:lead-rule-list")
    return render(request, "sales/lead_rule_form.html", {"form": form, "rule": rule})


@require_POST
@login_required
def lead_rule_move_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Move a rule up or down in the order the rules are tried."""
    rule = get_lead_rule_for(request.user, pk)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, _("Choose up or down."))
    else:
        services.lead_rule_move(actor=request.user, rule=rule, offset=offset)
    return redirect("sales:lead-rule-list")


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or (
        "application/json" in request.headers.get("Accept", "") and "text/html" not in request.headers.get("Accept", "")
    )


def _webform_reply(request: HttpRequest, status: int, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": not errors, "errors": errors or {}}, status=status)
    return render(request, "sales/lead_webform_result.html", {"errors": errors}, status=status)


def _over_rate_limit(request: HttpRequest) -> bool:
    """Count the posts of one client address per minute (shared by every web process with Redis)."""
    limit = getattr(settings, "CRM_LEAD_FORM_RATE_PER_MINUTE", WEBFORM_RATE_PER_MINUTE)
    return over_limit("lead-webform", client_address(request), limit)


@csrf_exempt
@require_POST
def lead_webform_view(request: HttpRequest) -> HttpResponse:
    """A company site posts its contact form here (no sign-in): the installation's secret token is required.

    The token comes in the X-CRM-Form-Token header, as ?token= in the URL or as a hidden `token` field of
    the form (it is no secret from the site's visitors either way: it keeps out whoever has not got
    the site's page, while the honeypot, the rate and the size limits deal with bots); without the setting
    CRM_LEAD_FORM_TOKEN the endpoint does not exist. Bots that fill the hidden `website` field get the
    usual thank-you and nothing is saved.
    """
    expected = getattr(settings, "CRM_LEAD_FORM_TOKEN", "")
    if not expected:
        raise Http404
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = WEBFORM_MAX_BYTES + 1
    if length > WEBFORM_MAX_BYTES:
        return _webform_reply(request, 413, {"message": [_("The request is too long.")]})
    # Counted before the token is checked, so the limit also stops whoever tries to guess it.
    if _over_rate_limit(request):
        return _webform_reply(request, 429, {"__all__": [_("Too many requests; try again in a minute.")]})
    given = request.headers.get("X-CRM-Form-Token") or request.GET.get("token") or request.POST.get("token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _webform_reply(request, 403, {"token": [_("The form token is wrong.")]})
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return _webform_reply(request, 400, {"__all__": [_("Send a JSON object.")]})
        form = WebForm({k: str(v) for k, v in payload.items() if v is not None})
    else:
        form = WebForm(request.POST)
    if form.is_spam():
        return _webform_reply(request, 201 if _wants_json(request) else 200)
    if not form.is_valid():
        return _webform_reply(request, 400, {k: [str(m) for m in v] for k, v in form.errors.items()})
    try:
        services.lead_create(actor=None, data=form.lead_data())
    except ValidationError as error:
        names = {"contact_name": "name", "company_name": "company", "title": "subject"}
        raw = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        errors = {names.get(k, k): [str(m) for m in v] for k, v in raw.items()}
        return _webform_reply(request, 400, errors)
    return _webform_reply(request, 201 if _wants_json(request) else 200)
