from django.urls import path

from crm.catalog.api import views

urlpatterns = [
    path("catalog/products/", views.ProductListApi.as_view(), name="product-list"),
    path("catalog/products/<int:pk>/", views.ProductDetailApi.as_view(), name="product-detail"),
    path("catalog/groups/", views.ProductGroupListApi.as_view(), name="product-group-list"),
    path("catalog/price-lists/", views.PriceListListApi.as_view(), name="price-list-list"),
    path("catalog/price-lists/<int:pk>/", views.PriceListDetailApi.as_view(), name="price-list-detail"),
    path("catalog/price-lists/<int:pk>/items/", views.PriceListItemsApi.as_view(), name="price-list-items"),
    path(
        "catalog/price-lists/<int:pk>/items/<int:product_pk>/",
        views.PriceListItemDetailApi.as_view(),
        name="price-list-item-detail",
    ),
    path("catalog/rules/", views.PriceRuleListApi.as_view(), name="price-rule-list"),
    path("catalog/rules/reorder/", views.PriceRuleReorderApi.as_view(), name="price-rule-reorder"),
    path("catalog/rules/<int:pk>/", views.PriceRuleDetailApi.as_view(), name="price-rule-detail"),
    path("catalog/currencies/", views.CurrencyListApi.as_view(), name="currency-list"),
    path("catalog/rates/", views.ExchangeRateListApi.as_view(), name="exchange-rate-list"),
    path("catalog/rates/import/", views.ExchangeRateImportApi.as_view(), name="exchange-rate-import"),
    path("catalog/quote/", views.QuoteApi.as_view(), name="quote"),
]
