"""Administrator pages: classifier trees (S1, M8) and custom fields (X3)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.accounts.http import AuthedHttpRequest
from crm.parties import services
from crm.parties.forms import ClassifierForm, CustomFieldForm, NodeForm
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
