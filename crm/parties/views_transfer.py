"""Import wizard (upload, column mapping, preview, import), error reports, vCard and table exports.

The uploaded file waits in the default storage under `imports/` between the wizard's steps; the
session holds its path, the chosen kind and mapping, so one user cannot reach another's upload.
"""

import uuid
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.accounts.http import AuthedHttpRequest
from crm.accounts.models import User
from crm.core.exports import export_response
from crm.parties.access import can_export_parties, can_import_parties, parties_visible_to
from crm.parties.fields import field_access
from crm.parties.filters import PartyFilter
from crm.parties.models import Party
from crm.parties.transfer import (
    ImportKind,
    ImportPreview,
    check_mapping,
    fields_for,
    import_error_table,
    import_preview,
    mapping_suggest,
    parties_export_rows,
    parties_import_tabular,
    parties_import_vcard,
    parties_vcard_chunks,
    party_export_headers,
    table_sample,
)
from crm.parties.vcard import Version

SESSION_KEY = "parties_import"
UPLOAD_DIR = "imports"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8 or Windows-1251) or XLSX, first row with headers."))
    kind = forms.ChoiceField(label=_("The file holds"), choices=ImportKind.choices, initial=ImportKind.ORGANIZATION)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in (".csv", ".txt", ".xlsx"):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 50 MB."))
        return upload


class VcardUploadForm(forms.Form):
    file = forms.FileField(label=_("vCard file (.vcf)"))


def _require_import(user: User) -> None:
    if not can_import_parties(user):
        raise PermissionDenied


def _require_export(user: User) -> None:
    if not can_export_parties(user):
        raise PermissionDenied


def _state(request: AuthedHttpRequest, token: uuid.UUID) -> dict[str, Any]:
    """This user's upload in progress; another user's token looks like a missing one."""
    state = request.session.get(SESSION_KEY, {}).get(str(token))
    if state is None or not default_storage.exists(state["path"]):
        raise Http404
    return dict(state)


def _save_state(request: AuthedHttpRequest, token: uuid.UUID, state: dict[str, Any]) -> None:
    uploads = dict(request.session.get(SESSION_KEY, {}))
    uploads[str(token)] = state
    request.session[SESSION_KEY] = uploads


def _forget(request: AuthedHttpRequest, token: uuid.UUID, state: dict[str, Any]) -> None:
    default_storage.delete(state["path"])
    uploads = dict(request.session.get(SESSION_KEY, {}))
    uploads.pop(str(token), None)
    request.session[SESSION_KEY] = uploads


def _is_mapped(request: AuthedHttpRequest, state: dict[str, Any]) -> bool:
    """Whether the upload has a mapping the user may still use (a role may lose sight of a field meanwhile)."""
    if not state["mapping"]:
        return False
    try:
        check_mapping(
            headers=list(state["mapping"]),
            mapping=state["mapping"],
            kind=state["kind"],
            access=field_access(request.user),
        )
    except ValidationError:
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def import_upload_view(request: AuthedHttpRequest) -> HttpResponse:
    """Step 1: the file and what it holds."""
    _require_import(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = uuid.uuid4()
        suffix = PurePath(upload.name).suffix.lower()
        path = default_storage.save(f"{UPLOAD_DIR}/{request.user.pk}/{token}{suffix}", upload)
        _save_state(
            request, token, {"path": path, "name": upload.name, "kind": form.cleaned_data["kind"], "mapping": None}
        )
        return redirect("parties:import-mapping", token=token)
    return render(request, "parties/transfer/upload.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping_view(request: AuthedHttpRequest, token: uuid.UUID) -> HttpResponse:
    """Step 2: which field each column fills, with our guesses pre-selected."""
    _require_import(request.user)
    state = _state(request, token)
    # The kind buttons re-submit the form: another kind means other fields, so guess the mapping anew.
    is_kind_switch = request.method == "POST" and request.POST.get("kind") in ImportKind.values
    if is_kind_switch:
        state["kind"], state["mapping"] = request.POST["kind"], None
    try:
        with default_storage.open(state["path"], "rb") as file:
            sample = table_sample(file)
    except ValidationError as error:
        _forget(request, token, state)
        form = ImportUploadForm(initial={"kind": state["kind"]})
        form.add_error(None, error)
        return render(request, "parties/transfer/upload.html", {"form": form})
    kind = state["kind"]
    errors: list[str] = []
    if request.method == "POST" and not is_kind_switch:
        mapping = {h: request.POST.get(f"column-{i}", "") for i, h in enumerate(sample.headers)}
        try:
            state["mapping"] = check_mapping(
                headers=sample.headers, mapping=mapping, kind=kind, access=field_access(request.user)
            )
        except ValidationError as error:
            errors = error.messages
        else:
            _save_state(request, token, state)
            return redirect("parties:import-preview", token=token)
    else:
        mapping = state["mapping"] or mapping_suggest(
            headers=sample.headers, kind=kind, access=field_access(request.user)
        )
        _save_state(request, token, state)
    columns = [
        {
            "index": index,
            "header": header,
            "selected": mapping.get(header, ""),
            "samples": [row[index] for row in sample.rows if index < len(row)],
        }
        for index, header in enumerate(sample.headers)
    ]
    context = {
        "token": token,
        "file_name": state["name"],
        "kind": kind,
        "kinds": ImportKind.choices,
        "columns": columns,
        "fields": [(f.key, f.label) for f in fields_for(kind, field_access(request.user))],
        "errors": errors,
    }
    return render(request, "parties/transfer/mapping.html", context)


def _preview_context(token: uuid.UUID, state: dict[str, Any], preview: ImportPreview) -> dict[str, Any]:
    labels = {f.key: f.label for f in fields_for(state["kind"])}
    rows = [
        {
            "row": row.row,
            "cells": [
                (text, header in row.error_columns) for header, text in zip(preview.headers, row.cells, strict=True)
            ],
            "errors": row.errors,
        }
        for row in preview.rows
    ]
    return {
        "token": token,
        "file_name": state["name"],
        "kind_label": ImportKind(state["kind"]).label,
        "headers": [(h, labels.get(preview.mapping.get(h, ""), "")) for h in preview.headers],
        "rows": rows,
        "result": preview.result,
        "errors": preview.result.errors[:200],
    }


@login_required
@require_http_methods(["GET", "POST"])
def import_preview_view(request: AuthedHttpRequest, token: uuid.UUID) -> HttpResponse:
    """Step 3: every row validated, the first ones shown; then the import itself (POST)."""
    _require_import(request.user)
    state = _state(request, token)
    if not _is_mapped(request, state):
        return redirect("parties:import-mapping", token=token)
    if request.method == "POST":
        with default_storage.open(state["path"], "rb") as file:
            result = parties_import_tabular(
                actor=request.user,
                file=file,
                mapping=state["mapping"],
                kind=state["kind"],
                allow_partial=request.POST.get("allow_partial") == "on",
            )
        if result.is_imported or not result.has_errors:
            _forget(request, token, state)
            return render(request, "parties/transfer/result.html", {"result": result, "file_name": state["name"]})
    with default_storage.open(state["path"], "rb") as file:
        preview = import_preview(actor=request.user, file=file, mapping=state["mapping"], kind=state["kind"])
    return render(request, "parties/transfer/preview.html", _preview_context(token, state, preview))


@login_required
@require_GET
def import_errors_view(request: AuthedHttpRequest, token: uuid.UUID, fmt: str) -> HttpResponseBase:
    """The error report of an upload as CSV or XLSX: row, column, value, message."""
    _require_import(request.user)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    state = _state(request, token)
    if not _is_mapped(request, state):
        raise Http404
    with default_storage.open(state["path"], "rb") as file:
        result = parties_import_tabular(
            actor=request.user, file=file, mapping=state["mapping"], kind=state["kind"], dry_run=True
        )
    headers, rows = import_error_table(result.errors)
    name = f"{PurePath(state['name']).stem}-errors"
    return export_response(fmt, name, headers, list(rows), sheet_title=str(_("Errors")))  # type: ignore[arg-type]


@login_required
@require_http_methods(["GET", "POST"])
def vcard_import_view(request: AuthedHttpRequest) -> HttpResponse:
    """Import contacts from a .vcf address book (phones, Outlook, Gmail, iCloud)."""
    _require_import(request.user)
    form = VcardUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        result = parties_import_vcard(actor=request.user, file=form.cleaned_data["file"])
        return render(
            request, "parties/transfer/result.html", {"result": result, "file_name": form.cleaned_data["file"].name}
        )
    return render(request, "parties/transfer/vcard_import.html", {"form": form})


def _exported(request: AuthedHttpRequest) -> QuerySet[Party]:
    """The clients the list page shows with the same filters, limited to what the user may see."""
    _require_export(request.user)
    queryset = parties_visible_to(request.user).order_by("name", "pk")
    ids = [int(v) for v in request.GET.getlist("id") if v.isdigit()]
    if ids:
        queryset = queryset.filter(pk__in=ids)
    filtered: QuerySet[Party] = PartyFilter(request.GET, queryset=queryset).qs
    return filtered


@login_required
@require_GET
def vcard_export_view(request: AuthedHttpRequest) -> StreamingHttpResponse:
    """Download the (filtered) clients as a .vcf file, version 3.0 unless `version=4.0`."""
    parties = _exported(request)
    version: Version = "4.0" if request.GET.get("version") == "4.0" else "3.0"
    response = StreamingHttpResponse(
        parties_vcard_chunks(parties=parties, access=field_access(request.user), version=version),
        content_type="text/vcard; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="clients.vcf"'
    return response


@login_required
@require_GET
def party_export_view(request: AuthedHttpRequest, fmt: str) -> HttpResponseBase:
    """Download the (filtered) clients as CSV or XLSX; the import reads this file back."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    parties = _exported(request)
    access = field_access(request.user)  # columns of data hidden from the user are left out
    return export_response(
        fmt,  # type: ignore[arg-type]
        "clients",
        party_export_headers(access),
        parties_export_rows(parties, access),
        sheet_title=str(_("Clients")),
    )
