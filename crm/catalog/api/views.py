"""The catalog over REST: the same access rules, selectors and services as the pages."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.accounts.http import api_user
from crm.catalog import selectors, services
from crm.catalog.access import (
    currencies_visible_to,
    exchange_rates_visible_to,
    get_price_list_for,
    get_price_rule_for,
    get_product_for,
    price_lists_visible_to,
    products_visible_to,
    require_catalog_manager,
)
from crm.catalog.api.serializers import (
    CurrencyInput,
    CurrencyOutput,
    ExchangeRateInput,
    ExchangeRateOutput,
    PriceListInput,
    PriceListItemInput,
    PriceListItemOutput,
    PriceListOutput,
    PriceRuleInput,
    PriceRuleOutput,
    ProductGroupOutput,
    ProductInput,
    ProductOutput,
    QuoteOutput,
)
from crm.catalog.filters import ProductFilter
from crm.catalog.models import Currency, ExchangeRate, PriceList, PriceListItem, Product, ProductGroup
from crm.catalog.pricing import NO_PRICE_EXPLANATION, resolve_price
from crm.catalog.rates_csv import MAX_BYTES
from crm.core.api import CappedKeysetPagination, required_version
from crm.parties.access import get_party_for


class ProductPagination(CappedKeysetPagination):
    ordering = ("name", "pk")


class ProductListApi(generics.ListAPIView[Product]):
    """Products and services with the page's filters (q=, group= with subgroups, kind=, is_active=); create one."""

    serializer_class = ProductOutput
    filterset_class = ProductFilter
    pagination_class = ProductPagination

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.product_list_for(api_user(self.request))

    @extend_schema(request=ProductInput, responses={201: ProductOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        require_catalog_manager(user)
        data = ProductInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        product = services.product_create(actor=user, data=values)
        return Response(ProductOutput(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    """One product; PATCH with `version` (a stale version is refused); DELETE moves it to the trash."""

    @extend_schema(responses=ProductOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ProductOutput(get_product_for(api_user(request), pk)).data)

    @extend_schema(request=ProductInput, responses=ProductOutput)
    def patch(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        product = get_product_for(user, pk, action="change")
        data = ProductInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = required_version(values.pop("version", None))
        services.product_update(actor=user, product=product, data=values, expected_version=version)
        return Response(ProductOutput(product).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        services.product_delete(actor=user, product=get_product_for(user, pk, action="change"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductGroupListApi(APIView):
    """The group tree in path order; POST {name, parent} adds a group."""

    class Input(serializers.Serializer[dict[str, Any]]):
        name = serializers.CharField(max_length=200)

        def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
            # `parent` is a Field attribute of its own, so the field is added here rather than declared.
            fields = super().get_fields()
            fields["parent"] = serializers.PrimaryKeyRelatedField(
                queryset=ProductGroup.objects.all(), allow_null=True, required=False, default=None
            )
            return fields

    @extend_schema(responses=ProductGroupOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(ProductGroupOutput(selectors.product_groups_tree(api_user(request)), many=True).data)

    @extend_schema(request=Input, responses={201: ProductGroupOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        require_catalog_manager(user)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.product_group_create(actor=user, **data.validated_data)
        return Response(ProductGroupOutput(group).data, status=status.HTTP_201_CREATED)


class PriceListListApi(generics.ListAPIView[PriceList]):
    """Every price list; POST creates one."""

    serializer_class = PriceListOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[PriceList]:
        return price_lists_visible_to(api_user(self.request)).order_by("name")

    @extend_schema(request=PriceListInput, responses={201: PriceListOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        require_catalog_manager(user)
        data = PriceListInput(data=request.data)
        data.is_valid(raise_exception=True)
        price_list = services.price_list_create(actor=user, data=data.validated_data)
        return Response(PriceListOutput(price_list).data, status=status.HTTP_201_CREATED)


class PriceListDetailApi(APIView):
    @extend_schema(responses=PriceListOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(PriceListOutput(get_price_list_for(api_user(request), pk)).data)

    @extend_schema(request=PriceListInput, responses=PriceListOutput)
    def patch(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        price_list = get_price_list_for(user, pk, action="change")
        data = PriceListInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.price_list_update(actor=user, price_list=price_list, data=data.validated_data)
        return Response(PriceListOutput(price_list).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        services.price_list_delete(actor=user, price_list=get_price_list_for(user, pk, action="change"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PriceListItemsApi(generics.ListAPIView[PriceListItem]):
    """The prices of one price list; POST {product, price} sets one (adds the product if absent)."""

    serializer_class = PriceListItemOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[PriceListItem]:
        user = api_user(self.request)
        return selectors.price_list_items_for(user, get_price_list_for(user, self.kwargs["pk"]))

    @extend_schema(request=PriceListItemInput, responses={200: PriceListItemOutput})
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        price_list = get_price_list_for(user, pk, action="change")
        data = PriceListItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        product = _product_or_400(user_products=products_visible_to(user), pk=data.validated_data["product"])
        item = services.price_set(
            actor=user, price_list=price_list, product=product, price=data.validated_data["price"]
        )
        return Response(PriceListItemOutput(item).data)


def _product_or_400(*, user_products: QuerySet[Product], pk: int) -> Product:
    product = user_products.filter(pk=pk).first()
    if product is None:
        raise serializers.ValidationError({"product": [_("There is no such product.")]})
    return product


class PriceListItemDetailApi(APIView):
    """DELETE takes the product out of the price list."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, product_pk: int) -> Response:
        user = api_user(request)
        price_list = get_price_list_for(user, pk, action="change")
        product = get_product_for(user, product_pk)
        services.price_remove(actor=user, price_list=price_list, product=product)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PriceRuleListApi(APIView):
    """The rules in the order they are tried; POST adds one at the end."""

    @extend_schema(responses=PriceRuleOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(PriceRuleOutput(selectors.price_rules_for(api_user(request)), many=True).data)

    @extend_schema(request=PriceRuleInput, responses={201: PriceRuleOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        require_catalog_manager(user)
        data = PriceRuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        rule = services.price_rule_create(actor=user, **data.validated_data)
        return Response(PriceRuleOutput(rule).data, status=status.HTTP_201_CREATED)


class PriceRuleDetailApi(APIView):
    @extend_schema(responses=PriceRuleOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(PriceRuleOutput(get_price_rule_for(api_user(request), pk)).data)

    @extend_schema(request=PriceRuleInput, responses=PriceRuleOutput)
    def patch(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        rule = get_price_rule_for(user, pk, action="change")
        data = PriceRuleInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.price_rule_update(
            actor=user,
            rule=rule,
            price_list=values.get("price_list", rule.price_list),
            node=values.get("node", rule.node),
            relationship=values.get("relationship", rule.relationship),
        )
        return Response(PriceRuleOutput(rule).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        services.price_rule_delete(actor=user, rule=get_price_rule_for(user, pk, action="change"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PriceRuleReorderApi(APIView):
    """POST {order: [rule ids]} numbers the rules in that order; every rule must be named once."""

    class Input(serializers.Serializer[dict[str, Any]]):
        order = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(request=Input, responses=PriceRuleOutput(many=True))
    def post(self, request: Request) -> Response:
        user = api_user(request)
        require_catalog_manager(user)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.price_rules_reorder(actor=user, ordered_ids=data.validated_data["order"])
        return Response(PriceRuleOutput(selectors.price_rules_for(user), many=True).data)


class CurrencyListApi(generics.ListAPIView[Currency]):
    """Currencies, the base one first; POST adds one."""

    serializer_class = CurrencyOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[Currency]:
        return currencies_visible_to(api_user(self.request))

    @extend_schema(request=CurrencyInput, responses={201: CurrencyOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        require_catalog_manager(user)
        data = CurrencyInput(data=request.data)
        data.is_valid(raise_exception=True)
        currency = services.currency_add(actor=user, **data.validated_data)
        return Response(CurrencyOutput(currency).data, status=status.HTTP_201_CREATED)


class ExchangeRatePagination(CappedKeysetPagination):
    ordering = ("-on_date", "currency_id", "pk")


class ExchangeRateListApi(generics.ListAPIView[ExchangeRate]):
    """Dated rates, newest first (currency= filters); POST enters one (replacing that day's rate)."""

    serializer_class = ExchangeRateOutput
    pagination_class = ExchangeRatePagination

    def get_queryset(self) -> QuerySet[ExchangeRate]:
        rates = exchange_rates_visible_to(api_user(self.request))
        code = self.request.query_params.get("currency")
        return rates.filter(currency_id=code.upper()) if code else rates

    @extend_schema(
        parameters=[OpenApiParameter("currency", str)],
        request=ExchangeRateInput,
        responses={201: ExchangeRateOutput},
    )
    def post(self, request: Request) -> Response:
        user = api_user(request)
        require_catalog_manager(user)
        data = ExchangeRateInput(data=request.data)
        data.is_valid(raise_exception=True)
        rate = services.exchange_rate_set(actor=user, **data.validated_data)
        return Response(ExchangeRateOutput(rate).data, status=status.HTTP_201_CREATED)


class ExchangeRateImportApi(APIView):
    """POST a CSV file (multipart, field `file`): all rows are imported, or none and the bad rows are listed."""

    parser_classes = [MultiPartParser]

    class Input(serializers.Serializer[dict[str, Any]]):
        file = serializers.FileField()

    @extend_schema(request=Input, responses={200: {"type": "object", "properties": {"imported": {"type": "integer"}}}})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        require_catalog_manager(user)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = services.exchange_rates_import(actor=user, content=upload.read(MAX_BYTES + 1))
        if result.errors:
            return Response(
                {"rows": [{"line": e.line, "text": e.text, "message": e.message} for e in result.errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"imported": result.imported})


class QuoteApi(APIView):
    """POST {party, product, date}: the price the client gets and why (price null when none fits).

    A client the user cannot see answers 404, as a missing one does.
    """

    class Input(serializers.Serializer[dict[str, Any]]):
        party = serializers.IntegerField(min_value=1)
        product = serializers.IntegerField(min_value=1)
        date = serializers.DateField()

    @extend_schema(request=Input, responses={200: QuoteOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        party = get_party_for(user, data.validated_data["party"])
        product = get_product_for(user, data.validated_data["product"])
        quote = resolve_price(party=party, product=product, on_date=data.validated_data["date"])
        if quote is None:
            empty = {"price": None, "currency": None, "vat_included": None, "price_list": None, "rule": None}
            return Response(QuoteOutput({**empty, "explanation": str(NO_PRICE_EXPLANATION)}).data)
        return Response(
            QuoteOutput(
                {
                    "price": quote.price,
                    "currency": quote.currency,
                    "vat_included": quote.vat_included,
                    "price_list": quote.price_list,
                    "rule": quote.rule.pk if quote.rule else None,
                    "explanation": quote.explanation,
                }
            ).data
        )
