"""View helpers every app's pages share: htmx fragments, keyset-paged lists, service errors on forms."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from crm.core.pagination import KeysetPage


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def is_htmx_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx request that wants a fragment, not a boosted full page (netbox's rule).

    Nor a history restore: going back to a URL an htmx link pushed, with the page no longer cached.
    """
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


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


@dataclass(frozen=True)
class KeysetPager:
    """The links under a keyset-paged table: the list's own parameters plus a cursor, None at an end."""

    previous: str | None
    next: str | None
    first: str | None
    summary: str  # "51–100 of 10,000+"; empty where the page's place is not known


def _page_url(request: HttpRequest, query: QueryDict, cursor: str | None) -> str:
    query = query.copy()
    if cursor:
        query["cursor"] = cursor
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path


def keyset_pager(request: HttpRequest, page: KeysetPage[Any]) -> KeysetPager:
    """The previous/next/first links of `page` of the list `request` shows, and where the page stands."""
    query = query_without_cursor(request)
    summary = ""
    if page.first_number is not None and page.last_number is not None:
        total = number_format(page.total, force_grouping=True)
        summary = _("%(first)s–%(last)s of %(total)s") % {
            "first": number_format(page.first_number, force_grouping=True),
            "last": number_format(page.last_number, force_grouping=True),
            "total": f"{total}+" if page.total_is_capped else total,
        }
    return KeysetPager(
        previous=_page_url(request, query, page.prev_cursor) if page.prev_cursor else None,
        next=_page_url(request, query, page.next_cursor) if page.next_cursor else None,
        first=_page_url(request, query, None) if page.prev_cursor and not page.previous_is_first else None,
        summary=summary,
    )


def render_keyset_list(
    request: HtmxHttpRequest, template: str, page: KeysetPage[Any], context: Mapping[str, Any]
) -> HttpResponse:
    """A keyset-paged list: `context` plus `page`, its `pager` links and `query` (the list's parameters less the
    cursor, for sort and export links)."""
    return render_list(
        request,
        template,
        {
            **context,
            "page": page,
            "pager": keyset_pager(request, page),
            "query": query_without_cursor(request).urlencode(),
        },
    )
