"""View helpers every app's pages share: htmx fragments, keyset-paged lists, service errors on forms."""

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from crm.core.pagination import KeysetPage


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def is_htmx_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx request that wants a fragment, not a boosted full page (netbox's rule)."""
    return bool(request.htmx) and not request.htmx.boosted


def add_service_errors(form: BaseForm, error: ValidationError, *, renamed: Mapping[str, str] | None = None) -> None:
    """Put a service's errors next to the fields they name; the rest above the form.

    `renamed` maps a field the service names to the form field that stands for it (a model's `file` shown
    as the form's `upload`).
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            if renamed and field in renamed:
                target: str | None = renamed[field]
            else:
                target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)


def message_errors(request: HttpRequest, error: ValidationError) -> None:
    """Show a service's refusal as error messages on the next page (for actions without a form)."""
    for message in error.messages:
        messages.error(request, message)


def query_without_cursor(request: HttpRequest) -> QueryDict:
    """The list's GET parameters less the page cursor: what its pager, sort and export links carry."""
    query = request.GET.copy()
    query.pop("cursor", None)
    return query


def render_list(request: HtmxHttpRequest, template: str, context: Mapping[str, Any]) -> HttpResponse:
    """The list page, or only its `rows` partial for an htmx request that wants a fragment."""
    return render(request, f"{template}#rows" if is_htmx_fragment(request) else template, context)


def render_keyset_list(
    request: HtmxHttpRequest, template: str, page: KeysetPage[Any], context: Mapping[str, Any]
) -> HttpResponse:
    """A keyset-paged list: `context` plus `page` and `query` (the parameters the "Show more" link repeats)."""
    return render_list(request, template, {**context, "page": page, "query": query_without_cursor(request).urlencode()})
