"""Deal pages and pipeline settings: thin adapters over sales' selectors and services."""

from collections.abc import Iterator, Sequence
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.accounts.http import AuthedHttpRequest, is_htmx_fragment
from crm.accounts.roles import ROLE_NAMES
from crm.activities.forms import InteractionForm
from crm.core.exports import Cell, export_response
from crm.core.pagination import keyset_page
from crm.core.views import add_service_errors, render_keyset_list
from crm.parties.access import get_party_for, parties_visible_to
from crm.parties.models import Classifier
from crm.parties.selectors import party_search
from crm.sales import selectors, services
from crm.sales.access import (
    can_change_deal,
    can_create_deal,
    can_manage_pipelines,
    deals_in_trash_for,
    get_deal_for,
)
from crm.sales.filters import SORT_CHOICES, DealFilter, ordering_from
from crm.sales.forms import (
    DealForm,
    DiscountLimitForm,
    LineEditForm,
    LineForm,
    MoveStageForm,
    PipelineForm,
    RequirementForm,
    StageForm,
)
from crm.sales.models import Deal, DealLine, DiscountLimit, Pipeline, Stage, StageRequirement

# Deal list and export --------------------------------------------------------------------------------------------


@login_required
def deal_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """The table view of deals: the board's filters, sorting, keyset pages, a capped count."""
    deal_filter = DealFilter(request.GET, queryset=selectors.deal_list_for(request.user))
    ordering = ordering_from(request.GET.get("ordering"))
    rows = deal_filter.qs if deal_filter.is_valid() else selectors.deal_list_for(request.user).none()
    page = keyset_page(rows, ordering, request.GET.get("cursor"), size=50)
    context = {
        "filter": deal_filter,
        "ordering": ordering,
        "sort_choices": SORT_CHOICES,
        "classifiers": Classifier.objects.prefetch_related("nodes"),
        "selected_nodes": {int(v) for v in request.GET.getlist("node") if v.isdigit()},
        "can_create": can_create_deal(request.user),
    }
    return render_keyset_list(request, "sales/deal_list.html", page, context)


def _export_rows(deals: Iterator[Deal]) -> Iterator[Sequence[Cell]]:
    for deal in deals:
        yield (
            deal.pk, deal.title, deal.party.name, deal.pipeline.name, deal.stage.name, deal.stage.get_kind_display(),
            str(deal.owner), deal.amount, deal.currency_id, deal.probability, deal.expected_close_date,
            deal.created_at, deal.closed_at,
        )  # fmt: skip


@login_required
@require_GET
def deal_export_view(request: AuthedHttpRequest, fmt: str) -> HttpResponseBase:
    """The filtered deals the user may see, as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    deal_filter = DealFilter(request.GET, queryset=selectors.deal_list_for(request.user))
    if not deal_filter.is_valid():
        return redirect("sales:deal-list")
    deals = deal_filter.qs.order_by(*ordering_from(request.GET.get("ordering")), "pk").iterator(chunk_size=2000)
    headers = [
        "ID", _("Title"), _("Client"), _("Pipeline"), _("Stage"), _("State"), _("Owner"), _("Amount"),
        _("Currency"), _("Probability, %"), _("Expected close date"), _("Created"), _("Closed"),
    ]  # fmt: skip
    return export_response(fmt, "deals", headers, _export_rows(deals), sheet_title=_("Deals"))  # type: ignore[arg-type]


# Create, edit, trash -----------------------------------------------------------------------------------------------


@login_required
def deal_party_options_view(request: AuthedHttpRequest) -> HttpResponse:
    """The client picker's options for a search text (name, phone, e-mail, INN): an htmx fragment."""
    results = party_search(request.user, request.GET.get("party_query", ""))
    return render(request, "sales/deal_form.html#party-options", {"results": results})


@login_required
def deal_create_view(request: AuthedHttpRequest) -> HttpResponse:
    """A new deal, from scratch or from a client's card (`?party=<pk>`)."""
    if not can_create_deal(request.user):
        raise PermissionDenied
    party_pk = request.GET.get("party", "")
    party = get_party_for(request.user, int(party_pk)) if party_pk.isdigit() else None
    visible = parties_visible_to(request.user)
    form = DealForm(request.POST or None, visible_parties=visible, party=party)
    if request.method == "POST" and form.is_valid():
        data = form.deal_data()
        try:
            deal = services.deal_create(
                actor=request.user, party=form.cleaned_data["party"], title=data["title"],
                pipeline=form.cleaned_data["pipeline"], currency=data["currency"], contact=data["contact"],
                amount=data.get("amount"), expected_close_date=data["expected_close_date"],
                probability=data.get("probability"), source=data["source"], source_detail=data["source_detail"],
                description=data["description"], competitors=form.cleaned_data["competitors"],
            )  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Deal %(title)s created.") % {"title": deal.title})
            return redirect("sales:deal-detail", pk=deal.pk)
    return render(request, "sales/deal_form.html", {"form": form})


@login_required
def deal_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deal = get_deal_for(request.user, pk, action="change")
    form = DealForm(request.POST or None, visible_parties=parties_visible_to(request.user), deal=deal)
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(
                actor=request.user,
                deal=deal,
                data=form.deal_data(),
                expected_version=form.cleaned_data.get("version"),
                competitors=form.cleaned_data["competitors"],
            )
        except ValidationError as error:
            deal.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:deal-detail", pk=deal.pk)
    return render(request, "sales/deal_form.html", {"form": form, "deal": deal})


@require_POST
@login_required
def deal_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deal = get_deal_for(request.user, pk, action="change")
    services.deal_delete(actor=request.user, deal=deal)
    messages.success(request, _("%(title)s moved to the trash.") % {"title": deal.title})
    return redirect("sales:deal-list")


@login_required
def deal_trash_view(request: AuthedHttpRequest) -> HttpResponse:
    deals = deals_in_trash_for(request.user).select_related("party", "deleted_by").order_by("-deleted_at")[:200]
    return render(request, "sales/deal_trash.html", {"deals": deals})


@require_POST
@login_required
def deal_restore_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(deals_in_trash_for(request.user), pk=pk)
    services.deal_restore(actor=request.user, deal=deal)
    messages.success(request, _("%(title)s restored.") % {"title": deal.title})
    return redirect("sales:deal-detail", pk=deal.pk)


# The deal card -------------------------------------------------------------------------------------------------------


def _back_to_card(request: AuthedHttpRequest, deal_pk: int) -> HttpResponse:
    """After a change: reload the card (htmx follows HX-Redirect; without JS a plain redirect)."""
    url = reverse("sales:deal-detail", args=[deal_pk])
    if is_htmx_fragment(request):
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


def _card(
    request: AuthedHttpRequest,
    deal: Deal,
    *,
    move_form: MoveStageForm | None = None,
    line_form: LineForm | None = None,
    interaction_form: InteractionForm | None = None,
    line_errors: dict[int, LineEditForm] | None = None,
) -> HttpResponse:
    deal = selectors.deal_detail(deal)
    lines = list(deal.lines.all())
    edit_forms = line_errors or {}
    rows = [
        (
            line,
            selectors.line_totals(line),
            edit_forms.get(line.pk)
            or LineEditForm(
                initial={
                    "quantity": line.quantity,
                    "discount_percent": line.discount_percent,
                    "list_price": line.list_price,
                    "description": line.description,
                },
                auto_id=f"line{line.pk}_%s",
            ),
        )
        for line in lines
    ]
    stages = list(deal.pipeline.stages.all())
    context = {
        "deal": deal,
        "can_change": can_change_deal(request.user, deal),
        "stages": stages,
        "current_index": next((i for i, s in enumerate(stages) if s.pk == deal.stage_id), 0),
        "requirements": selectors.current_requirements(deal),
        "lines": rows,
        "totals": selectors.deal_totals(deal, lines),
        "time_in_stages": selectors.deal_time_in_stages(deal),
        "history": selectors.deal_history(deal),
        "interactions": selectors.deal_interactions(deal),
        "move_form": move_form or MoveStageForm(deal=deal, initial={"stage": deal.stage_id}),
        "line_form": line_form or LineForm(),
        "interaction_form": interaction_form or InteractionForm(party=deal.party),
        "discount_limit": services.discount_limit_for(request.user),
    }
    return render(request, "sales/deal_detail.html", context)


@login_required
def deal_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _card(request, get_deal_for(request.user, pk))


@require_POST
@login_required
def deal_move_stage_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Move to a stage; a refusal names each missing action and changes nothing."""
    deal = get_deal_for(request.user, pk, action="change")
    form = MoveStageForm(request.POST, deal=deal)
    if form.is_valid():
        try:
            services.deal_move_stage(
                actor=request.user,
                deal=deal,
                stage=form.cleaned_data["stage"],
                lost_reason=form.cleaned_data["lost_reason"],
            )
        except ValidationError as error:
            deal.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("The deal is now in the stage “%(stage)s”.") % {"stage": deal.stage.name})
            return _back_to_card(request, deal.pk)
    return _card(request, deal, move_form=form)


@require_POST
@login_required
def deal_line_add_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deal = get_deal_for(request.user, pk, action="change")
    form = LineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.deal_line_add(
                actor=request.user, deal=deal, product=data["product"], quantity=data["quantity"],
                discount_percent=data["discount_percent"] or Decimal("0"), list_price=data["list_price"],
                description=data["description"],
            )  # fmt: skip
        except ValidationError as error:
            deal.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Line added."))
            return _back_to_card(request, deal.pk)
    return _card(request, deal, line_form=form)


def _line_for(request: AuthedHttpRequest, pk: int) -> DealLine:
    line = get_object_or_404(DealLine.objects.select_related("product"), pk=pk)
    line.deal = get_deal_for(request.user, line.deal_id, action="change")
    return line


@require_POST
@login_required
def deal_line_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    line = _line_for(request, pk)
    form = LineEditForm(request.POST, auto_id=f"line{line.pk}_%s")
    if form.is_valid():
        try:
            services.deal_line_update(actor=request.user, line=line, data=form.changes())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Line saved."))
            return _back_to_card(request, line.deal_id)
    line.deal.refresh_from_db()
    return _card(request, line.deal, line_errors={line.pk: form})


@require_POST
@login_required
def deal_line_remove_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    line = _line_for(request, pk)
    services.deal_line_remove(actor=request.user, line=line)
    messages.success(request, _("Line removed."))
    return redirect("sales:deal-detail", pk=line.deal_id)


@require_POST
@login_required
def deal_log_interaction_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Log an interaction with the client for this deal: it counts towards the stage requirements."""
    deal = get_deal_for(request.user, pk, action="change")
    form = InteractionForm(request.POST, party=deal.party)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.deal_log_interaction(
                actor=request.user, deal=deal, type=data["type"], occurred_at=data["occurred_at"],
                direction=data["direction"], duration_minutes=data["duration_minutes"], subject=data["subject"],
                result=data["result"], contact_person=data["contact_person"], participants=data["participants"],
                next_step=form.next_step(request.user),
            )  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contact logged."))
            return _back_to_card(request, deal.pk)
    return _card(request, deal, interaction_form=form)


@login_required
def party_deals_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The client's deals the user may see: a fragment for the client's card."""
    party = get_party_for(request.user, pk)
    deals = list(selectors.party_deals_for(request.user, party)[:50])
    context = {"party": party, "deals": deals, "can_create": can_create_deal(request.user)}
    return render(request, "sales/deal_party_list.html", context)


# Pipeline settings ---------------------------------------------------------------------------------------------------


def _require_manager(request: AuthedHttpRequest) -> None:
    if not can_manage_pipelines(request.user):
        raise PermissionDenied


@login_required
def pipeline_list_view(request: AuthedHttpRequest) -> HttpResponse:
    _require_manager(request)
    pipelines = Pipeline.objects.prefetch_related("stages").order_by("position", "name")
    return render(request, "sales/settings_pipelines.html", {"pipelines": pipelines})


@login_required
def pipeline_create_view(request: AuthedHttpRequest) -> HttpResponse:
    _require_manager(request)
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.pipeline_save(actor=request.user, pipeline=form.instance)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Pipeline created."))
            return redirect("sales:pipeline-update", pk=pipeline.pk)
    return render(request, "sales/settings_pipeline_form.html", {"form": form})


@login_required
def pipeline_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineForm(request.POST or None, instance=pipeline)
    if request.method == "POST" and form.is_valid():
        try:
            services.pipeline_save(actor=request.user, pipeline=form.instance)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:pipeline-update", pk=pipeline.pk)
    return _pipeline_page(request, pipeline, form=form)


def _pipeline_page(
    request: AuthedHttpRequest, pipeline: Pipeline, *, form: PipelineForm, stage_form: StageForm | None = None
) -> HttpResponse:
    stages = pipeline.stages.order_by("position", "pk").prefetch_related("requirements")
    context = {
        "pipeline": pipeline,
        "form": form,
        "stages": stages,
        "stage_form": stage_form or StageForm(),
    }
    return render(request, "sales/settings_pipeline_form.html", context)


@require_POST
@login_required
def stage_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    stage_form = StageForm(request.POST, instance=Stage(pipeline=pipeline))
    if stage_form.is_valid():
        try:
            services.stage_save(actor=request.user, stage=stage_form.instance)
        except ValidationError as error:
            add_service_errors(stage_form, error)
        else:
            messages.success(request, _("Stage added."))
            return redirect("sales:pipeline-update", pk=pipeline.pk)
    return _pipeline_page(request, pipeline, form=PipelineForm(instance=pipeline), stage_form=stage_form)


@login_required
def stage_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A stage's settings and the requirements to leave it."""
    _require_manager(request)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = StageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        try:
            services.stage_save(actor=request.user, stage=form.instance)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:pipeline-update", pk=stage.pipeline_id)
    return _stage_page(request, stage, form=form)


def _stage_page(
    request: AuthedHttpRequest, stage: Stage, *, form: StageForm, requirement_form: RequirementForm | None = None
) -> HttpResponse:
    context = {
        "stage": stage,
        "form": form,
        "requirements": stage.requirements.select_related("interaction_type"),
        "requirement_form": requirement_form or RequirementForm(),
    }
    return render(request, "sales/settings_stage_form.html", context)


@require_POST
@login_required
def stage_move_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    stage = get_object_or_404(Stage, pk=pk)
    services.stage_move(actor=request.user, stage=stage, up=request.POST.get("direction") != "down")
    return redirect("sales:pipeline-update", pk=stage.pipeline_id)


@require_POST
@login_required
def stage_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    stage = get_object_or_404(Stage, pk=pk)
    try:
        services.stage_delete(actor=request.user, stage=stage)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Stage deleted."))
    return redirect("sales:pipeline-update", pk=stage.pipeline_id)


@require_POST
@login_required
def requirement_add_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = RequirementForm(request.POST)
    if form.is_valid():
        try:
            services.requirement_add(actor=request.user, stage=stage, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Requirement added."))
            return redirect("sales:stage-update", pk=stage.pk)
    return _stage_page(request, stage, form=StageForm(instance=stage), requirement_form=form)


@require_POST
@login_required
def requirement_remove_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    requirement = get_object_or_404(StageRequirement, pk=pk)
    services.requirement_remove(actor=request.user, requirement=requirement)
    messages.success(request, _("Requirement removed."))
    return redirect("sales:stage-update", pk=requirement.stage_id)


@login_required
def discount_limits_view(request: AuthedHttpRequest) -> HttpResponse:
    """The largest line discount of each role."""
    _require_manager(request)
    limits = dict(DiscountLimit.objects.values_list("role_id", "max_percent"))
    roles = [(group, limits.get(group.pk)) for group in Group.objects.order_by("name")]
    form = DiscountLimitForm(request.POST if request.method == "POST" else None, roles=roles)
    if request.method == "POST" and form.is_valid():
        for role, percent in form.limits():
            services.discount_limit_set(actor=request.user, role=role, max_percent=percent)
        messages.success(request, _("Changes saved."))
        return redirect("sales:discount-limits")
    rows = [(form[f"role_{group.pk}"], ROLE_NAMES.get(group.name, group.name)) for group, _limit in roles]
    return render(request, "sales/settings_discounts.html", {"form": form, "rows": rows})
