"""Administrator pages: classifier trees (S1, M8), custom fields (X3), who sees which client data (X4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.accounts.http import AuthedHttpRequest
from crm.accounts.roles import ROLE_NAMES
from crm.parties import services
from crm.parties.fields import FIELD_GROUPS, field_access_grid
from crm.parties.forms import ClassifierForm, CustomFieldForm, FieldAccessForm, NodeForm
from crm.parties.models import Classifier, ClassifierNode, CustomField


def _require(request: AuthedHttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


@login_required
def classifier_list_view(request: AuthedHttpRequest) -> HttpResponse:
    _require(request, "parties.manage_classifiers")
    form = ClassifierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            classifier = services.classifier_create(
                actor=request.user, name=form.cleaned_data["name"], description=form.cleaned_data["description"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("parties:classifier-detail", pk=classifier.pk)
    return render(
        request,
        "parties/classifier_list.html",
        {"classifiers": Classifier.objects.prefetch_related("nodes"), "form": form},
    )


@login_required
def classifier_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require(request, "parties.manage_classifiers")
    classifier = get_object_or_404(Classifier, pk=pk)
    nodes = classifier.nodes.all()
    form = NodeForm(request.POST or None, nodes=nodes)
    if request.method == "POST" and form.is_valid():
        try:
            services.classifier_node_create(
                actor=request.user,
                classifier=classifier,
                name=form.cleaned_data["name"],
                parent=form.cleaned_data["parent"],
            )
        except ValidationError as error:
            form.add_error("name", error.messages[0])
        else:
            messages.success(request, _("Node added."))
            return redirect("parties:classifier-detail", pk=classifier.pk)
    return render(request, "parties/classifier_detail.html", {"classifier": classifier, "nodes": nodes, "form": form})


@require_POST
@login_required
def classifier_node_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require(request, "parties.manage_classifiers")
    node = get_object_or_404(ClassifierNode, pk=pk)
    services.classifier_node_delete(actor=request.user, node=node)
    messages.success(request, _("Node deleted."))
    return redirect("parties:classifier-detail", pk=node.classifier_id)


@login_required
def custom_field_list_view(request: AuthedHttpRequest) -> HttpResponse:
    _require(request, "parties.manage_custom_fields")
    return render(request, "parties/custom_field_list.html", {"fields": CustomField.objects.all()})


@login_required
def custom_field_edit_view(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request, "parties.manage_custom_fields")
    instance = get_object_or_404(CustomField, pk=pk) if pk else None
    form = CustomFieldForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.custom_field_save(actor=request.user, field=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Custom field saved."))
            return redirect("parties:custom-field-list")
    return render(request, "parties/custom_field_form.html", {"form": form})


@login_required
def field_access_view(request: AuthedHttpRequest) -> HttpResponse:
    """Roles x groups of sensitive client data (phones, bank details, ...): who sees what (X4)."""
    _require(request, "parties.manage_field_access")
    form = FieldAccessForm(request.POST or None, roles=Group.objects.all())
    if request.method == "POST":
        if form.is_valid():
            services.field_access_set(actor=request.user, grants=form.grants_by_role())
            messages.success(request, _("Access to client data saved."))
            return redirect("parties:field-access")
        for error in [*form.non_field_errors(), *form.errors.get("grants", []), *form.errors.get("roles", [])]:
            messages.error(request, str(error))
    rows = [
        {
            "role": role,
            "name": ROLE_NAMES.get(role.name, role.name),
            "cells": [(f"{role.pk}:{group.code}", group.label, group.code in seen) for group in FIELD_GROUPS],
        }
        for role, seen in field_access_grid()
    ]
    return render(request, "parties/field_access.html", {"groups": FIELD_GROUPS, "rows": rows})
