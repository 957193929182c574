"""Client pages: thin adapters over parties' selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.accounts.http import AuthedHttpRequest, is_htmx_fragment
from crm.accounts.models import User
from crm.core.pagination import keyset_page_merged
from crm.core.views import add_service_errors, render_keyset_list
from crm.parties import selectors, services
from crm.parties.access import (
    can_change_party,
    can_reassign_parties,
    get_party_for,
    parties_in_trash_for,
)
from crm.parties.choices import PartyKind
from crm.parties.fields import field_access, mask_card, mask_rows
from crm.parties.filters import SORT_CHOICES, PartyFilter, ordering_from
from crm.parties.forms import (
    ClassificationForm,
    ContactPersonForm,
    ContactPointForm,
    PartyForm,
    QuickContactsForm,
    ReassignForm,
)
from crm.parties.models import Classifier, ContactPoint, PartyContact


@login_required
def party_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """Filtered, sorted, keyset-paged client list (S1) with bulk reassignment for heads of sales (S24)."""
    party_filter = PartyFilter(request.GET, queryset=selectors.party_list_for(request.user))
    sorts = [v for v in request.GET.getlist("sort") if v]
    ordering = ordering_from(request.GET.get("ordering") or ",".join(sorts))
    branches = selectors.party_list_branches(request.user, request.GET)
    page = keyset_page_merged(branches.rows, ordering, request.GET.get("cursor"), size=50, counted=branches.counted)
    selectors.with_card_summary(page.rows)
    mask_rows(field_access(request.user), page.rows)
    context = {
        "filter": party_filter,
        "ordering": ordering,
        "classifiers": Classifier.objects.prefetch_related("nodes"),
        "selected_nodes": {int(v) for v in request.GET.getlist("node") if v.isdigit()},
        "can_reassign": can_reassign_parties(request.user),
        "reassign_form": ReassignForm(),
        "sort_choices": SORT_CHOICES,
    }
    return render_keyset_list(request, "parties/party_list.html", page, context)


@login_required
def party_search_view(request: AuthedHttpRequest) -> HttpResponse:
    """One box for name, phone in any form, e-mail or INN (S22): a dropdown for htmx, a page otherwise."""
    query = request.GET.get("q", "")
    results = selectors.party_search(request.user, query)
    # Found by a hidden phone too (the caller's number), but shown masked.
    mask_rows(field_access(request.user), results)
    template = "parties/search.html#results" if is_htmx_fragment(request) else "parties/search.html"
    return render(request, template, {"results": results, "search_query": query})


@login_required
def party_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    access = field_access(request.user)
    party = mask_card(access, selectors.party_detail_for(get_party_for(request.user, pk)))
    return render(
        request,
        "parties/party_detail.html",
        {
            "party": party,
            "can_change": can_change_party(request.user, party),
            "can_reassign": can_reassign_parties(request.user),
            "contact_form": ContactPointForm(access=access),
            "person_form": ContactPersonForm(access=access),
            "reassign_users": User.objects.filter(is_active=True).order_by("last_name", "first_name"),
        },
    )


@login_required
def party_create_view(request: AuthedHttpRequest, kind: str) -> HttpResponse:
    if kind not in PartyKind.values:
        return redirect("parties:list")
    if not request.user.has_perm("parties.add_party"):
        raise PermissionDenied
    access = field_access(request.user)
    form = PartyForm(request.POST or None, kind=kind, access=access)
    quick = QuickContactsForm(request.POST or None, access=access)
    duplicates = []
    if request.method == "POST" and form.is_valid() and quick.is_valid():
        duplicates = selectors.possible_duplicates(
            request.user,
            inn=form.cleaned_data.get("inn", ""),
            phones=[quick.cleaned_data.get("phone", "")],
            emails=[quick.cleaned_data.get("email", "")],
            name=form.cleaned_data.get("name", "") or form.cleaned_data.get("last_name", ""),
        )
        if not duplicates or request.POST.get("confirm_duplicates"):
            try:
                party = services.party_create(
                    actor=request.user,
                    data={**form.party_data(), "kind": kind},
                    contact_points=quick.contact_points(),
                    custom_data=form.custom_data(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Client %(name)s created.") % {"name": party.name})
                return redirect("parties:detail", pk=party.pk)
    return render(
        request, "parties/party_form.html", {"form": form, "quick": quick, "kind": kind, "duplicates": duplicates}
    )


@login_required
def party_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    party = get_party_for(request.user, pk, action="change")
    form = PartyForm(request.POST or None, instance=party, kind=party.kind, access=field_access(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.party_update(
                actor=request.user,
                party=party,
                data=form.party_data(),
                expected_version=form.cleaned_data.get("version"),
                custom_data=form.custom_data(),
                co_owners=form.cleaned_data["co_owners"],
            )
        except ValidationError as error:
            party.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("parties:detail", pk=party.pk)
    return render(request, "parties/party_form.html", {"form": form, "party": party, "kind": party.kind})


@require_POST
@login_required
def party_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    party = get_party_for(request.user, pk, action="change")
    services.party_delete(actor=request.user, party=party)
    messages.success(request, _("%(name)s moved to the trash.") % {"name": party.name})
    return redirect("parties:list")


@login_required
def trash_view(request: AuthedHttpRequest) -> HttpResponse:
    parties = parties_in_trash_for(request.user).select_related("deleted_by").order_by("-deleted_at")[:200]
    return render(request, "parties/trash.html", {"parties": parties})


@require_POST
@login_required
def party_restore_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    party = get_object_or_404(parties_in_trash_for(request.user), pk=pk)
    services.party_restore(actor=request.user, party=party)
    messages.success(request, _("%(name)s restored.") % {"name": party.name})
    return redirect("parties:detail", pk=party.pk)


def _contacts_fragment(request: AuthedHttpRequest, party_pk: int, form: ContactPointForm | None = None) -> HttpResponse:
    access = field_access(request.user)
    party = mask_card(access, selectors.party_detail_for(get_party_for(request.user, party_pk)))
    return render(
        request,
        "parties/party_detail.html#contacts",
        {
            "party": party,
            "can_change": can_change_party(request.user, party),
            "contact_form": form or ContactPointForm(access=access),
        },
    )


@require_POST
@login_required
def contact_point_add_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    party = get_party_for(request.user, pk, action="change")
    access = field_access(request.user)
    form = ContactPointForm(request.POST, access=access)  # offers only the kinds the user sees
    if form.is_valid():
        try:
            services.contact_point_add(actor=request.user, party=party, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("value" if hasattr(error, "error_dict") else None, str(error.messages[0]))
        else:
            form = ContactPointForm(access=access)
    return _contacts_fragment(request, party.pk, form)


def _point_for(request: AuthedHttpRequest, pk: int) -> ContactPoint:
    """A contact point of a client the user may change, of a kind the user sees (hidden ones stay as they are)."""
    point = get_object_or_404(ContactPoint.objects.select_related("party"), pk=pk)
    get_party_for(request.user, point.party_id, action="change")
    if not field_access(request.user).sees_kind(point.kind):
        raise PermissionDenied
    return point


@require_POST
@login_required
def contact_point_confirm_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    point = _point_for(request, pk)
    services.contact_point_confirm(actor=request.user, point=point)
    if request.GET.get("next") == "stale":
        return redirect("parties:stale")
    return _contacts_fragment(request, point.party_id)


@require_POST
@login_required
def contact_point_remove_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    point = _point_for(request, pk)
    services.contact_point_remove(actor=request.user, point=point)
    return _contacts_fragment(request, point.party_id)


@login_required
def stale_contacts_view(request: AuthedHttpRequest) -> HttpResponse:
    hidden = field_access(request.user).hidden_kinds  # one cannot re-check what one does not see
    points = selectors.stale_contact_points_for(request.user).exclude(kind__in=hidden)[:200]
    return render(request, "parties/stale_contacts.html", {"points": points})


@require_POST
@login_required
def contact_person_add_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    organization = get_party_for(request.user, pk, action="change")
    access = field_access(request.user)
    form = ContactPersonForm(request.POST, access=access)  # without the fields hidden from the user
    if form.is_valid():
        data = {
            k: form.cleaned_data[k] for k in ("last_name", "first_name", "middle_name", "birthday") if k in form.fields
        }
        points = QuickContactsForm(form.cleaned_data, access=access)
        points.is_valid()
        try:
            services.contact_person_create(
                actor=request.user,
                organization=organization,
                data=data,
                position=form.cleaned_data["position"],
                contact_points=points.contact_points(),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Contact person added."))
    else:
        for field_errors in form.errors.values():
            for text in field_errors:
                messages.error(request, str(text))
    return redirect(reverse("parties:detail", args=[organization.pk]) + "#contact-persons")


@require_POST
@login_required
def contact_person_unlink_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(PartyContact, pk=pk)
    get_party_for(request.user, link.organization_id, action="change")
    services.contact_person_unlink(actor=request.user, link=link)
    return redirect(reverse("parties:detail", args=[link.organization_id]) + "#contact-persons")


@login_required
def party_classify_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    party = get_party_for(request.user, pk, action="change")
    initial = {"nodes": list(party.classifications.values_list("node_id", flat=True))}
    # Unticking every box posts nothing, which must still clear the classification.
    form = ClassificationForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.party_set_classification(actor=request.user, party=party, nodes=form.cleaned_data["nodes"])
        messages.success(request, _("Classification saved."))
        return redirect("parties:detail", pk=party.pk)
    classifiers = Classifier.objects.prefetch_related("nodes")
    return render(
        request,
        "parties/party_classify.html",
        {"party": party, "form": form, "classifiers": classifiers, "selected": set(initial["nodes"])},
    )


@require_POST
@login_required
def party_reassign_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    if not can_reassign_parties(request.user):
        raise PermissionDenied
    party = get_party_for(request.user, pk)
    form = ReassignForm(request.POST)
    if form.is_valid():
        services.party_reassign(
            actor=request.user,
            parties=selectors.party_list_for(request.user).filter(pk=party.pk),
            responsible=form.cleaned_data["responsible"],
        )
        messages.success(request, _("Client reassigned."))
    else:
        messages.error(request, _("Choose a manager."))
    return redirect("parties:detail", pk=party.pk)


@require_POST
@login_required
def party_bulk_reassign_view(request: AuthedHttpRequest) -> HttpResponse:
    """Reassign every client matching the list's current filters, or the ticked ones (S24)."""
    if not can_reassign_parties(request.user):
        raise PermissionDenied
    party_filter = PartyFilter(request.GET, queryset=selectors.party_list_for(request.user))
    chosen = [int(v) for v in request.POST.getlist("party") if v.isdigit()]
    parties = party_filter.qs.filter(pk__in=chosen) if chosen else party_filter.qs
    form = ReassignForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            moved = services.party_reassign(
                actor=request.user, parties=parties, responsible=form.cleaned_data["responsible"]
            )
        messages.success(request, _("Clients reassigned: %(count)d.") % {"count": moved})
    else:
        messages.error(request, _("Choose a manager."))
    return redirect(reverse("parties:list") + "?" + request.GET.urlencode())


@login_required
def party_merge_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Merge a duplicate into this client, keeping every contact, link and history row (X2)."""
    if not request.user.has_perm("parties.merge_parties"):
        raise PermissionDenied
    keep = get_party_for(request.user, pk, action="change")
    candidates = selectors.possible_duplicates(
        request.user,
        inn=keep.inn,
        phones=keep.contact_points.filter(kind="phone").values_list("value", flat=True),
        emails=keep.contact_points.filter(kind="email").values_list("value", flat=True),
        name=keep.name,
        exclude_pk=keep.pk,
    )
    if request.method == "POST":
        duplicate = get_party_for(request.user, int(request.POST.get("duplicate", "0") or 0), action="change")
        try:
            services.party_merge(actor=request.user, keep=keep, duplicate=duplicate)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s merged into this card.") % {"name": duplicate.name})
            return redirect("parties:detail", pk=keep.pk)
    return render(request, "parties/party_merge.html", {"party": keep, "candidates": candidates})


@login_required
def duplicates_check_view(request: AuthedHttpRequest) -> HttpResponse:
    """Live duplicate warning while a new client is being typed (htmx)."""
    found = selectors.possible_duplicates(
        request.user,
        inn=request.GET.get("inn", "").strip(),
        phones=[request.GET.get("phone", "")],
        emails=[request.GET.get("email", "")],
        name=request.GET.get("name", "") or request.GET.get("last_name", ""),
    )
    return render(request, "parties/party_form.html#duplicates", {"duplicates": found})
