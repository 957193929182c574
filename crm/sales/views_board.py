"""The kanban board (S4): columns per stage, more cards per column, and moving a card to another stage."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.accounts.http import AuthedHttpRequest, is_htmx_fragment
from crm.sales import board as selectors
from crm.sales.access import get_deal_for
from crm.sales.models import Pipeline, Stage
from crm.sales.services import deal_move_stage

# Parameters of the board itself, left out of the filter query that the table view link and the forms carry.
BOARD_PARAMS = ("pipeline", "cursor", "rates_on")


def _filter_query(request: AuthedHttpRequest, pipeline: Pipeline) -> str:
    query = request.GET.copy()
    for name in BOARD_PARAMS:
        query.pop(name, None)
    query["pipeline"] = str(pipeline.pk)
    return query.urlencode()


def _rates_on(request: AuthedHttpRequest) -> datetime.date:
    """The date of the rates column totals are converted at: `rates_on` if given and valid, else today."""
    try:
        chosen = parse_date(request.GET.get("rates_on", ""))
    except ValueError:
        chosen = None
    return chosen or timezone.localdate()


def _board_context(request: AuthedHttpRequest, pipeline: Pipeline) -> tuple[selectors.Board, dict[str, object]]:
    """The board of the pipeline under the request's filters, and the page's context around it."""
    deal_filter = selectors.board_filter_for(request.user, request.GET)
    stages = selectors.board_stages(pipeline)
    deals = selectors.board_deals(deal_filter, pipeline)
    board = selectors.board_for(request.user, deals, pipeline, stages, _rates_on(request))
    return board, {"board": board, "filter": deal_filter, "stages": stages, "query": _filter_query(request, pipeline),
            "move_controls": _move_controls(stages), "classifiers": selectors.board_classifiers(),
            "selected_nodes": {int(v) for v in request.GET.getlist("node") if v.isdigit()}}  # fmt: skip


def _move_controls(stages: list[Stage]) -> str:
    """The stage select and button of every card's move form, rendered once per page rather than once per card."""
    return render_to_string("sales/board.html#move-controls", {"stages": stages})


@login_required
def board_view(request: AuthedHttpRequest) -> HttpResponse:
    """The board of one pipeline (the first active one unless `pipeline` names another)."""
    pipelines = selectors.board_pipelines()
    pipeline = selectors.board_pipeline(pipelines, request.GET.get("pipeline"))
    context: dict[str, object] = {"pipelines": pipelines, "pipeline": pipeline}
    if pipeline is not None:
        context.update(_board_context(request, pipeline)[1])
    return render(request, "sales/board.html", context)


@login_required
def board_column_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The next cards of one column after `cursor`: a fragment for htmx, a page of its own otherwise."""
    stage = selectors.board_stage(pk)
    deal_filter = selectors.board_filter_for(request.user, request.GET)
    deals = selectors.board_deals(deal_filter, stage.pipeline)
    cards, next_cursor = selectors.column_cards(request.user, deals, stage, request.GET.get("cursor"))
    stages = selectors.board_stages(stage.pipeline)
    context = {
        "stage": stage,
        "pipeline": stage.pipeline,
        "stages": stages,
        "move_controls": _move_controls(stages),
        "cards": cards,
        "next_cursor": next_cursor,
        "query": _filter_query(request, stage.pipeline),
    }
    template = "sales/board_column.html#cards" if is_htmx_fragment(request) else "sales/board_column.html"
    return render(request, template, context)


def _wants_json(request: AuthedHttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _messages_of(error: ValidationError) -> list[str]:
    """Every message of a service's error, field by field (the stage rules name each missing requirement)."""
    return [str(message) for message in error.messages]


@require_POST
@login_required
def board_move_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Move a card to another stage of its pipeline; refused moves name what is missing and change nothing.

    board.js posts with `Accept: application/json` and gets the new column heads and card back (400
    with the messages when refused); a plain form post (no JS) is redirected back to the board.
    """
    deal = get_deal_for(request.user, pk, action="change")
    pipeline = deal.pipeline
    stage_id = request.POST.get("stage", "")
    target = next((s for s in selectors.board_stages(pipeline) if str(s.pk) == stage_id), None)
    errors: list[str] = []
    reasons: list[dict[str, object]] | None = None
    if target is None:
        errors = [_("Choose a stage of the deal's pipeline.")]
    elif target.pk != deal.stage_id:
        try:
            deal_move_stage(
                actor=request.user, deal=deal, stage=target, lost_reason=selectors.lost_reason(request.POST)
            )
        except ValidationError as error:
            errors = _messages_of(error)
            if "lost_reason" in getattr(error, "error_dict", {}):
                reasons = selectors.lost_reason_choices()
    back = f"{reverse('sales:board')}?{_filter_query(request, pipeline)}"
    if not _wants_json(request):
        if errors:
            messages.error(request, _("The deal was not moved: %(reasons)s") % {"reasons": " ".join(errors)})
        else:
            messages.success(request, _("The deal was moved."))
        return redirect(back)
    if errors:
        refusal: dict[str, object] = {"ok": False, "errors": errors}
        if reasons is not None:
            refusal["lost_reasons"] = reasons  # board.js offers them and posts the move again
        return JsonResponse(refusal, status=400)
    board, context = _board_context(request, pipeline)
    card = next(
        (c for column in board.columns for c in column.cards if c.deal.pk == deal.pk),
        selectors.card_of(request.user, deal),
    )
    heads = {
        str(column.stage.pk): render_to_string(
            "sales/board.html#column-head", {**context, "column": column}, request=request
        )
        for column in board.columns
    }
    card_html = render_to_string(
        "sales/board.html#card",
        {**context, "card": card},
        request=request,
    )
    return JsonResponse({"ok": True, "heads": heads, "card": card_html})
