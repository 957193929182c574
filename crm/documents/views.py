"""Document, template, contract and approval pages: thin adapters over selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.accounts.http import AuthedHttpRequest, is_htmx_fragment
from crm.core.views import add_service_errors
from crm.documents import selectors, services
from crm.documents.access import (
    can_change_contract,
    can_change_document,
    can_create_contract,
    document_hidden_groups,
    ensure_document_content_visible,
    get_contract_for,
    get_document_for,
    get_pending_step_for,
    require_template_manager,
)
from crm.documents.choices import OutputFormat, TemplateFormat
from crm.documents.context import (
    DOCUMENT_KEYS,
    LINE_KEYS,
    PERSON_KEYS,
    REQUISITE_KEYS,
    TOTAL_KEYS,
    company_profile,
)
from crm.documents.filters import ContractFilter
from crm.documents.forms import (
    ApprovalForm,
    CompanyProfileForm,
    ContractForm,
    DecisionForm,
    GenerateForm,
    LinkDealForm,
    LinkDocumentForm,
    TemplateCreateForm,
    TemplateUpdateForm,
)
from crm.documents.models import Contract, Document, DocumentTemplate
from crm.parties.access import get_party_for, parties_visible_to
from crm.sales.access import can_change_deal, deals_visible_to, get_deal_for

CONTRACT_VALUES = ("signed_on", "starts_on", "ends_on", "amount", "status", "reminder_days", "notes")


# Documents of a deal and of a client (fragments for the deal card and the client card)


@require_http_methods(["GET", "POST"])
@login_required
def deal_documents_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The deal card's "Documents" fragment: the list and the generate form; POST generates one."""
    deal = get_deal_for(request.user, pk, action="change" if request.method == "POST" else "view")
    if request.method == "POST":
        ensure_document_content_visible(request.user)
    form = GenerateForm(request.POST or None)
    generated = None
    if request.method == "POST" and form.is_valid():
        try:
            generated = services.document_generate(
                actor=request.user, deal=deal, kind=form.cleaned_data["kind"], template=form.cleaned_data["template"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not is_htmx_fragment(request):
                messages.success(request, _("%(number)s is ready.") % {"number": generated.number})
                return redirect("documents:document-detail", generated.pk)
            form = GenerateForm()
    context = {
        "deal": deal,
        "documents": selectors.deal_documents(deal),
        "form": form,
        "can_generate": can_change_deal(request.user, deal) and not document_hidden_groups(request.user),
        "generated": generated,
    }
    response = render(request, "documents/deal_documents.html", context)
    if generated is not None:
        response["HX-Trigger"] = "deal-history-changed"
    return response


@login_required
def party_documents_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The client card's fragment: documents of the client's visible deals, contracts and their history."""
    party = get_party_for(request.user, pk)
    context = {
        "party": party,
        "documents": selectors.party_documents_for(request.user, party)[:50],
        "contracts": selectors.contract_list_for(request.user).filter(party=party)[:50],
        "events": selectors.party_document_events_for(request.user, party)[:50],
    }
    return render(request, "documents/party_documents.html", context)


@login_required
def document_list_view(request: AuthedHttpRequest) -> HttpResponse:
    documents = selectors.document_list_for(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        documents = documents.filter(Q(number__icontains=query) | Q(party__name__icontains=query))
    return render(request, "documents/document_list.html", {"documents": documents[:200], "query": query})


@login_required
def document_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    document = get_document_for(request.user, pk)
    return render(request, "documents/document_detail.html", _document_context(request, document))


def _document_context(
    request: AuthedHttpRequest, document: Document, form: ApprovalForm | None = None
) -> dict[str, object]:
    routes = selectors.document_routes(document)
    can_change = can_change_document(request.user, document)
    in_progress = any(r.status == "in_progress" for r in routes)
    return {
        "document": document,
        "routes": routes,
        "can_change": can_change,
        "approval_form": form
        or (ApprovalForm(users=selectors.approver_choices()) if can_change and not in_progress else None),
        "events": document.events.select_related("actor").order_by("-at", "-pk"),
    }


@login_required
def document_download_view(request: AuthedHttpRequest, pk: int, fmt: str) -> FileResponse:
    """The stored DOCX or PDF, to whoever may see the document and the client data it prints."""
    document = get_document_for(request.user, pk)
    ensure_document_content_visible(request.user)
    stored = document.docx_file if fmt == OutputFormat.DOCX else document.pdf_file if fmt == OutputFormat.PDF else None
    if not stored:
        raise Http404
    content_type = (
        "application/pdf"
        if fmt == OutputFormat.PDF
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    return FileResponse(
        default_storage.open(stored.name, "rb"),
        as_attachment=fmt == OutputFormat.DOCX,
        filename=f"{document.number}.{fmt}",
        content_type=content_type,
    )


@require_POST
@login_required
def document_send_for_approval_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    document = get_document_for(request.user, pk, action="change")
    form = ApprovalForm(request.POST, users=selectors.approver_choices())
    if form.is_valid():
        try:
            services.approval_route_start(actor=request.user, document=document, approvers=form.approvers())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The document is sent for approval."))
            return redirect("documents:document-detail", document.pk)
    return render(request, "documents/document_detail.html", _document_context(request, document, form))


@login_required
def approval_inbox_view(request: AuthedHttpRequest) -> HttpResponse:
    """Documents waiting for this user's decision ("На согласовании")."""
    steps = selectors.approval_inbox(request.user)
    return render(request, "documents/approval_inbox.html", {"steps": steps, "form": DecisionForm()})


@require_POST
@login_required
def approval_decide_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    step = get_pending_step_for(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.approval_decide(
                actor=request.user,
                step=step,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your decision is recorded."))
            return redirect("documents:approval-inbox")
    steps = selectors.approval_inbox(request.user)
    return render(
        request, "documents/approval_inbox.html", {"steps": steps, "form": DecisionForm(), "failed": (step.pk, form)}
    )


# Templates and company requisites


def _placeholders() -> list[tuple[str, str, list[tuple[str, object]]]]:
    return [
        ("document", _("The document"), list(DOCUMENT_KEYS)),
        ("seller", _("Our company (seller)"), list(REQUISITE_KEYS)),
        ("seller.director", _("Our signatory"), list(PERSON_KEYS)),
        ("client", _("The client"), list(REQUISITE_KEYS)),
        ("contact", _("The client's contact person"), list(PERSON_KEYS)),
        ("line", _("A line (inside the loop over lines)"), list(LINE_KEYS)),
        ("totals", _("Totals"), list(TOTAL_KEYS)),
    ]


@login_required
def template_list_view(request: AuthedHttpRequest) -> HttpResponse:
    require_template_manager(request.user)
    return render(request, "documents/template_list.html", {"templates": selectors.template_list()})


@require_http_methods(["GET", "POST"])
@login_required
def template_create_view(request: AuthedHttpRequest) -> HttpResponse:
    require_template_manager(request.user)
    form = TemplateCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The template is saved."))
            return redirect("documents:template-update", template.pk)
    return render(request, "documents/template_form.html", {"form": form, "placeholders": _placeholders()})


def _template_or_404(pk: int) -> DocumentTemplate:
    template = selectors.template_by_pk(pk)
    if template is None:
        raise Http404
    return template


@require_http_methods(["GET", "POST"])
@login_required
def template_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    require_template_manager(request.user)
    template = _template_or_404(pk)
    initial = {"name": template.name, "is_active": template.is_active, "html_source": template.html_source}
    form = TemplateUpdateForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.template_update(
                actor=request.user,
                template=template,
                name=data["name"],
                is_active=data["is_active"],
                file=data["file"],
                html_source=data["html_source"] if template.format == TemplateFormat.HTML else None,
            )
        except ValidationError as error:
            template.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("The template is saved."))
            return redirect("documents:template-update", template.pk)
    context = {"form": form, "template": template, "placeholders": _placeholders()}
    return render(request, "documents/template_form.html", context)


@require_POST
@login_required
def template_set_default_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    require_template_manager(request.user)
    template = _template_or_404(pk)
    try:
        services.template_set_default(actor=request.user, template=template)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("documents:template-list")


@login_required
def template_download_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The DOCX of a template (shipped or uploaded), to edit in Word and upload back."""
    require_template_manager(request.user)
    template = _template_or_404(pk)
    if template.format != TemplateFormat.DOCX:
        raise Http404
    response = HttpResponse(
        services.template_docx_bytes(template),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="template-{template.pk}.docx"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def company_profile_view(request: AuthedHttpRequest) -> HttpResponse:
    require_template_manager(request.user)
    profile = company_profile()
    form = CompanyProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_profile_update(actor=request.user, values=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The requisites are saved."))
            return redirect("documents:company-profile")
    return render(request, "documents/company_profile.html", {"form": form})


# Contracts


@login_required
def contract_list_view(request: AuthedHttpRequest) -> HttpResponse:
    contract_filter = ContractFilter(request.GET or None, queryset=selectors.contract_list_for(request.user))
    contracts = (
        contract_filter.qs if contract_filter.is_bound and contract_filter.is_valid() else contract_filter.queryset
    )
    context = {
        "filter": contract_filter,
        "contracts": contracts[:200],
        "can_create": can_create_contract(request.user),
    }
    return render(request, "documents/contract_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def contract_create_view(request: AuthedHttpRequest) -> HttpResponse:
    if not can_create_contract(request.user):
        raise PermissionDenied
    initial = {"currency": "RUB"}
    if party_id := request.GET.get("party", ""):
        initial["party"] = party_id
    form = ContractForm(request.POST or None, parties=parties_visible_to(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = services.contract_create(
                actor=request.user,
                party=data["party"],
                number=data["number"],
                currency=data["currency"],
                **{name: data[name] for name in CONTRACT_VALUES},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The contract is saved."))
            return redirect("documents:contract-detail", contract.pk)
    return render(request, "documents/contract_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def contract_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, action="change")
    initial = {name: getattr(contract, name) for name in (*CONTRACT_VALUES, "number", "party", "currency")}
    form = ContractForm(request.POST or None, parties=parties_visible_to(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.contract_update(
                actor=request.user,
                contract=contract,
                **{name: data[name] for name in (*CONTRACT_VALUES, "number", "party", "currency")},
            )
        except ValidationError as error:
            contract.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("The contract is saved."))
            return redirect("documents:contract-detail", contract.pk)
    return render(request, "documents/contract_form.html", {"form": form, "contract": contract})


@login_required
def contract_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk)
    return render(request, "documents/contract_detail.html", _contract_context(request, contract))


def _contract_context(
    request: AuthedHttpRequest,
    contract: Contract,
    deal_form: LinkDealForm | None = None,
    document_form: LinkDocumentForm | None = None,
) -> dict[str, object]:
    can_change = can_change_contract(request.user, contract)
    deals = deals_visible_to(request.user).filter(party_id=contract.party_id).exclude(contracts=contract)
    documents = selectors.party_documents_for(request.user, contract.party).exclude(contract=contract)
    return {
        "contract": contract,
        "can_change": can_change,
        "deals": contract.deals.filter(pk__in=deals_visible_to(request.user).values("pk")),
        "documents": selectors.party_documents_for(request.user, contract.party).filter(contract=contract),
        "deal_form": deal_form or (LinkDealForm(deals=deals) if can_change else None),
        "document_form": document_form or (LinkDocumentForm(documents=documents) if can_change else None),
        "events": selectors.contract_events(contract)[:50],
        "reminders": contract.reminders.order_by("-due_on"),
    }


@require_POST
@login_required
def contract_link_deal_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, action="change")
    form = LinkDealForm(request.POST, deals=deals_visible_to(request.user).filter(party_id=contract.party_id))
    if form.is_valid():
        try:
            services.contract_link_deal(actor=request.user, contract=contract, deal=form.cleaned_data["deal"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("documents:contract-detail", contract.pk)
    return render(request, "documents/contract_detail.html", _contract_context(request, contract, deal_form=form))


@require_POST
@login_required
def contract_link_document_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, action="change")
    form = LinkDocumentForm(request.POST, documents=selectors.party_documents_for(request.user, contract.party))
    if form.is_valid():
        try:
            services.contract_link_document(
                actor=request.user, contract=contract, document=form.cleaned_data["document"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("documents:contract-detail", contract.pk)
    return render(request, "documents/contract_detail.html", _contract_context(request, contract, document_form=form))
