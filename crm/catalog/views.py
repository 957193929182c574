"""Catalog pages: products, groups, price lists with a price table editor, price rules with a "try it"
explainer, currencies with dated rates. Thin adapters over catalog's access, selectors and services."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm.accounts.http import AuthedHttpRequest, is_htmx_fragment
from crm.catalog import selectors, services
from crm.catalog.access import (
    can_manage_catalog,
    currencies_visible_to,
    get_price_list_for,
    get_price_rule_for,
    get_product_for,
    get_product_group_for,
    get_trashed_product_for,
    products_in_trash_for,
    require_catalog_manager,
)
from crm.catalog.filters import ProductFilter
from crm.catalog.forms import (
    CurrencyForm,
    ExchangeRateForm,
    PriceListForm,
    PriceRuleForm,
    ProductForm,
    ProductGroupForm,
    ProductGroupMoveForm,
    QuoteForm,
    RatesImportForm,
)
from crm.catalog.models import Product, ProductGroup
from crm.catalog.pricing import NO_PRICE_EXPLANATION, resolve_price
from crm.catalog.rates_csv import MAX_BYTES, RowError
from crm.core.exports import export_response
from crm.core.pagination import keyset_page
from crm.core.views import add_service_errors, message_errors, render_keyset_list
from crm.parties.access import get_party_for
from crm.parties.selectors import party_search

# Products


@login_required
def product_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """Products and services: search by name or article, filter by group (with subgroups), type, on sale."""
    product_filter = ProductFilter(request.GET, queryset=selectors.product_list_for(request.user))
    page = keyset_page(product_filter.qs, ["name"], request.GET.get("cursor"), size=50)
    context = {"filter": product_filter, "can_manage": can_manage_catalog(request.user)}
    return render_keyset_list(request, "catalog/product_list.html", page, context)


@login_required
def product_export_view(request: AuthedHttpRequest, fmt: str) -> HttpResponseBase:
    """The filtered product list as CSV or XLSX: the catalog is shared, so everyone who sees it may export it."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    products = selectors.product_list_for(request.user, request.GET)
    return export_response(
        "csv" if fmt == "csv" else "xlsx",
        "products",
        selectors.product_export_headers(),
        selectors.product_export_rows(products),
        sheet_title=_("Products"),
    )


@login_required
def product_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "prices": selectors.product_prices(request.user, product),
            "history": selectors.product_history(product),
            "can_manage": can_manage_catalog(request.user),
        },
    )


@login_required
def product_create_view(request: AuthedHttpRequest) -> HttpResponse:
    require_catalog_manager(request.user)
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(actor=request.user, data=form.product_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s added to the catalog.") % {"name": product.name})
            return redirect("catalog:product-detail", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form})


@login_required
def product_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk, action="change")
    # The form validates on a copy: a ModelForm writes its data into its instance, and the service must
    # see the stored values to record what changed.
    form = ProductForm(request.POST or None, instance=get_product_for(request.user, pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(
                actor=request.user,
                product=product,
                data=form.product_data(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            product.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("catalog:product-detail", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "product": product})


@require_POST
@login_required
def product_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk, action="change")
    services.product_delete(actor=request.user, product=product)
    messages.success(request, _("%(name)s moved to the trash.") % {"name": product.name})
    return redirect("catalog:product-list")


@login_required
def product_trash_view(request: AuthedHttpRequest) -> HttpResponse:
    require_catalog_manager(request.user)
    products = products_in_trash_for(request.user).select_related("deleted_by").order_by("-deleted_at")[:200]
    return render(request, "catalog/product_trash.html", {"products": products})


@require_POST
@login_required
def product_restore_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    product = get_trashed_product_for(request.user, pk)
    services.product_restore(actor=request.user, product=product)
    messages.success(request, _("%(name)s restored.") % {"name": product.name})
    return redirect("catalog:product-detail", pk=product.pk)


# Groups


@login_required
def group_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """The group tree; managers add groups here and rename, move or delete them row by row."""
    form = ProductGroupForm(request.POST or None)
    if request.method == "POST":
        require_catalog_manager(request.user)
        if form.is_valid():
            try:
                group = services.product_group_create(
                    actor=request.user, name=form.cleaned_data["name"], parent=form.cleaned_data["parent"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Group %(name)s added.") % {"name": group.name})
                return redirect("catalog:group-list")
    return render(
        request,
        "catalog/group_list.html",
        {
            "groups": selectors.product_groups_tree(request.user),
            "form": form,
            "move_form": ProductGroupMoveForm(),
            "can_manage": can_manage_catalog(request.user),
        },
    )


def _group_action_failed(request: AuthedHttpRequest, error: ValidationError) -> HttpResponse:
    message_errors(request, error)
    return redirect("catalog:group-list")


@require_POST
@login_required
def group_rename_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    group = get_product_group_for(request.user, pk, action="change")
    try:
        services.product_group_rename(actor=request.user, group=group, name=request.POST.get("name", ""))
    except ValidationError as error:
        return _group_action_failed(request, error)
    messages.success(request, _("Group renamed."))
    return redirect("catalog:group-list")


@require_POST
@login_required
def group_move_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    group = get_product_group_for(request.user, pk, action="change")
    form = ProductGroupMoveForm(request.POST)
    if not form.is_valid():
        return _group_action_failed(request, ValidationError(_("Choose a group from the list.")))
    try:
        services.product_group_move(actor=request.user, group=group, parent=form.cleaned_data["parent"])
    except ValidationError as error:
        return _group_action_failed(request, error)
    messages.success(request, _("Group moved."))
    return redirect("catalog:group-list")


@require_POST
@login_required
def group_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    group = get_product_group_for(request.user, pk, action="change")
    try:
        services.product_group_delete(actor=request.user, group=group)
    except ValidationError as error:
        return _group_action_failed(request, error)
    messages.success(request, _("Group deleted."))
    return redirect("catalog:group-list")


# Price lists


@login_required
def price_list_list_view(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "catalog/price_list_list.html",
        {
            "price_lists": selectors.price_lists_for(request.user),
            "today": timezone.localdate(),
            "can_manage": can_manage_catalog(request.user),
        },
    )


@login_required
def price_list_create_view(request: AuthedHttpRequest) -> HttpResponse:
    require_catalog_manager(request.user)
    form = PriceListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            price_list = services.price_list_create(actor=request.user, data=form.price_list_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Price list %(name)s created.") % {"name": price_list.name})
            return redirect("catalog:price-list-detail", pk=price_list.pk)
    return render(request, "catalog/price_list_form.html", {"form": form})


@login_required
def price_list_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    price_list = get_price_list_for(request.user, pk, action="change")
    form = PriceListForm(request.POST or None, instance=get_price_list_for(request.user, pk))  # a copy, as above
    if request.method == "POST" and form.is_valid():
        try:
            services.price_list_update(actor=request.user, price_list=price_list, data=form.price_list_data())
        except ValidationError as error:
            price_list.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("catalog:price-list-detail", pk=price_list.pk)
    return render(request, "catalog/price_list_form.html", {"form": form, "price_list": price_list})


@require_POST
@login_required
def price_list_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    price_list = get_price_list_for(request.user, pk, action="change")
    try:
        services.price_list_delete(actor=request.user, price_list=price_list)
    except ValidationError as error:
        message_errors(request, error)
        return redirect("catalog:price-list-detail", pk=price_list.pk)
    messages.success(request, _("Price list %(name)s deleted.") % {"name": price_list.name})
    return redirect("catalog:price-list-list")


@dataclass(frozen=True)
class PriceRow:
    """One line of the price table editor: the product, the text in its price box and the box's errors."""

    product: Product
    value: str
    errors: list[str]


def _plain(price: Decimal | None) -> str:
    return "" if price is None else f"{price:.2f}"


def _editor_group(request: AuthedHttpRequest) -> ProductGroup | None:
    raw = request.GET.get("group", "")
    if not raw.isdigit():
        return None
    try:
        return get_product_group_for(request.user, int(raw))
    except Http404:
        return None


@login_required
def price_list_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The price list's prices as a table: everyone reads it; managers edit the prices in place and save."""
    price_list = get_price_list_for(request.user, pk)
    q = request.GET.get("q", "")
    group = _editor_group(request)
    only_listed = request.GET.get("all") != "1"
    rows = selectors.price_editor_rows(request.user, price_list, q=q, group=group, only_listed=only_listed)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        require_catalog_manager(request.user)
        prices, errors = _prices_from_post(request)
        if not errors:
            try:
                set_count, removed = services.price_list_prices_save(
                    actor=request.user, price_list=price_list, prices=prices
                )
            except ValidationError as error:
                errors = error.message_dict
            else:
                messages.success(
                    request,
                    _("Prices saved: %(set)s set, %(removed)s removed.") % {"set": set_count, "removed": removed},
                )
                return redirect(request.get_full_path())
    return render(
        request,
        "catalog/price_list_detail.html",
        {
            "price_list": price_list,
            "rows": [
                PriceRow(
                    product=product,
                    value=request.POST.get(f"price_{product.pk}", "") if errors else _plain(price),
                    errors=errors.get(f"price_{product.pk}", []),
                )
                for product, price in rows
            ],
            "limit": selectors.EDITOR_LIMIT,
            "form_errors": [m for key, value in errors.items() if not key.startswith("price_") for m in value],
            "q": q,
            "group": group,
            "groups": selectors.product_groups_tree(request.user),
            "only_listed": only_listed,
            "can_manage": can_manage_catalog(request.user),
            "today": timezone.localdate(),
        },
    )


def _prices_from_post(request: AuthedHttpRequest) -> tuple[dict[int, Decimal | None], dict[str, list[str]]]:
    """`price_<product id>` fields: a number sets the price, an empty field removes the product."""
    prices: dict[int, Decimal | None] = {}
    errors: dict[str, list[str]] = {}
    for key in request.POST:
        if not key.startswith("price_") or not key[6:].isdigit():
            continue
        value = request.POST.get(key, "")
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not text:
            prices[int(key[6:])] = None
            continue
        try:
            number = Decimal(text)
        except InvalidOperation:
            errors[key] = [_("Enter a number.")]
            continue
        if not number.is_finite():
            errors[key] = [_("Enter a number.")]
            continue
        prices[int(key[6:])] = number
    return prices, errors


# Price rules and the explainer


@login_required
def rule_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """The rules in the order they are tried; managers add rules here. The explainer is `quote_view`."""
    form = PriceRuleForm(request.POST or None)
    if request.method == "POST":
        require_catalog_manager(request.user)
        if form.is_valid():
            try:
                services.price_rule_create(
                    actor=request.user,
                    price_list=form.cleaned_data["price_list"],
                    node=form.cleaned_data["node"],
                    relationship=form.cleaned_data["relationship"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Price rule added."))
                return redirect("catalog:rule-list")
    return render(
        request,
        "catalog/rule_list.html",
        {
            "rules": selectors.price_rules_for(request.user),
            "form": form,
            "quote_form": QuoteForm(initial={"on_date": timezone.localdate()}),
            "can_manage": can_manage_catalog(request.user),
        },
    )


@login_required
def rule_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_price_rule_for(request.user, pk, action="change")
    initial = {"price_list": rule.price_list_id, "node": rule.node_id, "relationship": rule.relationship}
    form = PriceRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.price_rule_update(
                actor=request.user,
                rule=rule,
                price_list=form.cleaned_data["price_list"],
                node=form.cleaned_data["node"],
                relationship=form.cleaned_data["relationship"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("catalog:rule-list")
    return render(request, "catalog/rule_form.html", {"form": form, "rule": rule})


@require_POST
@login_required
def rule_delete_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_price_rule_for(request.user, pk, action="change")
    services.price_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Price rule deleted."))
    return redirect("catalog:rule-list")


@require_POST
@login_required
def rule_move_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_price_rule_for(request.user, pk, action="change")
    try:
        services.price_rule_move(actor=request.user, rule=rule, direction=request.POST.get("direction", ""))
    except ValidationError as error:
        message_errors(request, error)
    return redirect("catalog:rule-list")


@login_required
def quote_view(request: AuthedHttpRequest) -> HttpResponse:
    """Try the rules: which price a client gets for a product on a date, and why. Reads only."""
    form = QuoteForm(request.GET or None, initial={"on_date": timezone.localdate()})
    fragment = is_htmx_fragment(request)
    # A fragment swapped under the rules page's form shows the form's errors itself.
    context: dict[str, object] = {"quote_form": form, "searched": False, "fragment": fragment}
    if request.GET and form.is_valid():
        data = form.cleaned_data
        if data["party"]:
            try:
                party = get_party_for(request.user, data["party"])
            except Http404:
                form.add_error("party", _("There is no client with this id among those you can see."))
            else:
                context.update(
                    searched=True,
                    party=party,
                    product=data["product"],
                    on_date=data["on_date"],
                    quote=resolve_price(party=party, product=data["product"], on_date=data["on_date"]),
                    no_price=NO_PRICE_EXPLANATION,
                )
        elif data["party_q"]:
            context["candidates"] = party_search(request.user, data["party_q"], limit=10)
        else:
            form.add_error("party_q", _("Find a client or enter its id."))
    return render(request, "catalog/quote.html#result" if fragment else "catalog/quote.html", context)


# Currencies and rates


def _currency_page(
    request: AuthedHttpRequest,
    *,
    currency_form: CurrencyForm | None = None,
    rate_form: ExchangeRateForm | None = None,
    import_form: RatesImportForm | None = None,
    import_errors: list[RowError] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    shown = request.GET.get("currency", "")
    latest = selectors.latest_rates(request.user, today)
    return render(
        request,
        "catalog/currency_list.html",
        {
            "currency_rows": [
                (currency, latest.get(currency.code)) for currency in currencies_visible_to(request.user)
            ],
            "rates": selectors.exchange_rates_for(request.user, currency=shown or None),
            "shown": shown,
            "today": today,
            "can_manage": can_manage_catalog(request.user),
            "currency_form": currency_form or CurrencyForm(),
            "rate_form": rate_form or ExchangeRateForm(initial={"on_date": today}),
            "import_form": import_form or RatesImportForm(),
            "import_errors": import_errors or [],
        },
        status=status,
    )


@login_required
def currency_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """Currencies, their latest rates and the rate history; managers add a currency here (POST)."""
    if request.method != "POST":
        return _currency_page(request)
    require_catalog_manager(request.user)
    form = CurrencyForm(request.POST)
    if form.is_valid():
        try:
            currency = services.currency_add(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Currency %(code)s added.") % {"code": currency.code})
            return redirect("catalog:currency-list")
    return _currency_page(request, currency_form=form)


@require_POST
@login_required
def rate_create_view(request: AuthedHttpRequest) -> HttpResponse:
    require_catalog_manager(request.user)
    form = ExchangeRateForm(request.POST)
    if form.is_valid():
        try:
            rate = services.exchange_rate_set(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Rate of %(code)s on %(date)s saved.")
                % {"code": rate.currency_id, "date": rate.on_date.strftime("%d.%m.%Y")},
            )
            return redirect("catalog:currency-list")
    return _currency_page(request, rate_form=form)


@require_POST
@login_required
def rate_import_view(request: AuthedHttpRequest) -> HttpResponse:
    """Import rates from CSV: every row is checked first; one bad row and nothing is imported."""
    require_catalog_manager(request.user)
    form = RatesImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _currency_page(request, import_form=form)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_BYTES:
        form.add_error("file", _("The file is larger than 2 MB."))
        return _currency_page(request, import_form=form)
    result = services.exchange_rates_import(actor=request.user, content=upload.read())
    if result.errors:
        form.add_error(None, _("Nothing was imported: fix the rows below and upload the file again."))
        return _currency_page(request, import_form=form, import_errors=result.errors)
    messages.success(
        request,
        ngettext("%(count)s rate imported.", "%(count)s rates imported.", result.imported) % {"count": result.imported},
    )
    return redirect("catalog:currency-list")
