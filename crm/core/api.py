"""API plumbing shared by every app: keyset pagination and one exception handler."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class KeysetPagination(CursorPagination):
    """Cursor (keyset) pagination: page 10,000 costs what page 1 does."""

    ordering: str | tuple[str, ...] = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 500


def keyset_link(request: Request, cursor: str | None) -> str | None:
    """The absolute URL of the page `cursor` points to (the request's parameters kept), None without one.

    For lists paged by crm.core.pagination rather than by a DRF paginator (next/previous in the response).
    """
    if not cursor:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map Django's ValidationError from services to a 400 with the same messages the pages show."""
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


class CappedKeysetPagination(KeysetPagination):
    """Keyset pages plus a total counted up to CRM_LIST_COUNT_CAP ("10000+" beyond it)."""

    ordering_fields: tuple[str, ...] = ()

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        from crm.core.pagination import capped_count

        self.total, self.total_is_capped = capped_count(queryset)
        raw = [f.strip() for f in request.query_params.get("ordering", "").split(",") if f.strip()]
        chosen = [f for f in raw if f.lstrip("-") in self.ordering_fields]
        if chosen:
            self.ordering = (*chosen, "-pk" if chosen[0].startswith("-") else "pk")
        return super().paginate_queryset(queryset, request, view)

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        return self.ordering if isinstance(self.ordering, tuple | list) else (self.ordering,)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data = {"count": self.total, "count_is_capped": self.total_is_capped, **response.data}
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"] = {
            "count": {"type": "integer"},
            "count_is_capped": {"type": "boolean"},
            **result["properties"],
        }
        return result


def required_version(value: object) -> int:
    """The record version a PATCH must carry (optimistic locking); a missing one is a 400 on `version`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise exceptions.ValidationError({"version": [_("Send the version you read, so edits are not lost.")]})
    return value
