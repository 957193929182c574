"""Files fragments for client, deal and interaction cards, streamed downloads and the sales materials library."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.accounts.http import AuthedHttpRequest, is_htmx_fragment
from crm.activities.access import get_interaction_for
from crm.core.views import add_service_errors, render_list
from crm.files import selectors, services
from crm.files.access import (
    Record,
    attachable_materials,
    can_attach_to,
    can_manage_materials,
    get_attachment_for,
    get_material_for,
    record_of,
    require_material_manager,
)
from crm.files.downloads import stream_file
from crm.files.forms import LibraryPickForm, MaterialFilterForm, MaterialForm, UploadForm
from crm.files.models import SalesMaterial
from crm.files.validation import allowed_extensions, max_mb
from crm.parties.access import get_party_for
from crm.parties.models import Party
from crm.sales.access import get_deal_for
from crm.sales.models import Deal


def _kind(record: Record) -> str:
    if isinstance(record, Party):
        return "party"
    return "deal" if isinstance(record, Deal) else "interaction"


def _files_url(record: Record) -> str:
    return reverse(f"files:{_kind(record)}-files", args=[record.pk])


def _back_url(record: Record) -> str:
    """The card the files belong to, for the page shown without JS."""
    if isinstance(record, Party):
        return reverse("parties:detail", args=[record.pk])
    if isinstance(record, Deal):
        try:
            return reverse("sales:deal-detail", args=[record.pk])
        except NoReverseMatch:  # the deal card is another area's page; the link appears once it exists
            return ""
    return reverse("parties:detail", args=[record.party_id])


def _errors_of(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _card(
    request: AuthedHttpRequest,
    record: Record,
    *,
    upload_form: UploadForm | None = None,
    pick_form: LibraryPickForm | None = None,
) -> HttpResponse:
    """The files card of a record: a fragment for htmx, a page of its own otherwise (works without JS)."""
    kind = _kind(record)
    can_attach = can_attach_to(request.user, record)
    materials: QuerySet[SalesMaterial] = attachable_materials(request.user)
    pick_url = reverse(f"files:{kind}-attach-materials", args=[record.pk]) if kind != "interaction" else ""
    context = {
        "record": record,
        "kind": kind,
        "attachments": selectors.attachments_of(record),
        "can_attach": can_attach,
        "files_url": _files_url(record),
        "back_url": _back_url(record),
        "pick_url": pick_url,
        "upload_form": upload_form or UploadForm(),
        "pick_form": pick_form or LibraryPickForm(materials=materials),
        "materials": list(materials[:200]) if can_attach and pick_url else [],
        "max_mb": max_mb(),
        "types": ", ".join(allowed_extensions()),
        "accept": ",".join(f".{ext}" for ext in allowed_extensions()),
        "standalone": not is_htmx_fragment(request),
    }
    return render(request, "files/files_card.html", context)


def _files_view(request: AuthedHttpRequest, record: Record) -> HttpResponse:
    """GET: the card; POST: upload a file to the record (403 for those who only look)."""
    if request.method != "POST":
        return _card(request, record)
    if not can_attach_to(request.user, record):
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            attachment = services.attachment_upload(actor=request.user, record=record, upload=upload)
        except ValidationError as error:
            for message in _errors_of(error):
                form.add_error("file", message)
        else:
            if not is_htmx_fragment(request):
                messages.success(request, _("%(name)s attached.") % {"name": attachment.original_name})
                return redirect(_files_url(record))
            form = UploadForm()
    return _card(request, record, upload_form=form)


@login_required
def party_files_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _files_view(request, get_party_for(request.user, pk))


@login_required
def deal_files_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _files_view(request, get_deal_for(request.user, pk))


@login_required
def interaction_files_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _files_view(request, get_interaction_for(request.user, pk))


def _attach_materials(request: AuthedHttpRequest, record: Record) -> HttpResponse:
    if not can_attach_to(request.user, record):
        raise PermissionDenied
    form = LibraryPickForm(request.POST, materials=attachable_materials(request.user))
    if form.is_valid():
        try:
            attached = services.attachments_from_library(
                actor=request.user, record=record, materials=form.cleaned_data["materials"]
            )
        except ValidationError as error:
            for message in _errors_of(error):
                form.add_error("materials", message)
        else:
            if not is_htmx_fragment(request):
                messages.success(request, _("Attached: %(names)s.") % {"names": ", ".join(str(a) for a in attached)})
                return redirect(_files_url(record))
            form = LibraryPickForm(materials=attachable_materials(request.user))
    return _card(request, record, pick_form=form)


@require_POST
@login_required
def party_attach_materials_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _attach_materials(request, get_party_for(request.user, pk))


@require_POST
@login_required
def deal_attach_materials_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _attach_materials(request, get_deal_for(request.user, pk))


@login_required
def attachment_download_view(request: AuthedHttpRequest, pk: int) -> FileResponse:
    return stream_file(get_attachment_for(request.user, pk))


@require_POST
@login_required
def attachment_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Move a file to the trash; those who may only look at the record are refused (403)."""
    attachment = get_attachment_for(request.user, pk, action="change")
    record = record_of(request.user, attachment)
    services.attachment_delete(actor=request.user, attachment=attachment)
    if is_htmx_fragment(request):
        return _card(request, record)
    messages.success(request, _("%(name)s moved to the trash.") % {"name": attachment.original_name})
    return redirect(_files_url(record))


@login_required
def material_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """The library: every signed-in user browses and downloads; managers of the library also edit it."""
    filters = MaterialFilterForm(request.GET)
    query, category = "", ""
    if filters.is_valid():
        query, category = filters.cleaned_data["q"], filters.cleaned_data["category"]
    materials = selectors.material_list_for(request.user, query=query, category=category)
    context = {
        "materials": materials[:500],
        "filters": filters,
        "can_manage": can_manage_materials(request.user),
    }
    return render_list(request, "files/material_list.html", context)


@login_required
def material_create_view(request: AuthedHttpRequest) -> HttpResponse:
    require_material_manager(request.user)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            material = services.material_create(
                actor=request.user, upload=data["upload"], title=data["title"], category=data["category"],
                description=data["description"], language=data["language"],
            )  # fmt: skip
        except ValidationError as error:
            _add_material_errors(form, error)
        else:
            messages.success(request, _("%(title)s added to the library.") % {"title": material.title})
            return redirect("files:material-list")
    return render(request, "files/material_form.html", {"form": form, "material": None})


def _add_material_errors(form: MaterialForm, error: ValidationError) -> None:
    add_service_errors(form, error, renamed={"file": "upload"})


@login_required
def material_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    material = get_material_for(request.user, pk, action="change")
    form = MaterialForm(request.POST or None, request.FILES or None, material=material)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.material_update(
                actor=request.user, material=material, data={f: data[f] for f in services.MATERIAL_FIELDS},
                upload=data.get("upload"), is_active=data["is_active"],
            )  # fmt: skip
        except ValidationError as error:
            material.refresh_from_db()
            _add_material_errors(form, error)
        else:
            messages.success(request, _("%(title)s saved.") % {"title": material.title})
            return redirect("files:material-list")
    return render(request, "files/material_form.html", {"form": form, "material": material})


@require_POST
@login_required
def material_deactivate_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    material = get_material_for(request.user, pk, action="change")
    services.material_deactivate(actor=request.user, material=material)
    messages.success(request, _("%(title)s is no longer offered in the library.") % {"title": material.title})
    return redirect("files:material-list")


@login_required
def material_download_view(request: AuthedHttpRequest, pk: int) -> FileResponse:
    return stream_file(get_material_for(request.user, pk))
