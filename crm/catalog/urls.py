from django.urls import path

from crm.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.product_list_view, name="product-list"),
    path("products/new/", views.product_create_view, name="product-create"),
    path("products/export/<str:fmt>/", views.product_export_view, name="product-export"),
    path("products/trash/", views.product_trash_view, name="product-trash"),
    path("products/<int:pk>/", views.product_detail_view, name="product-detail"),
    path("products/<int:pk>/edit/", views.product_update_view, name="product-update"),
    path("products/<int:pk>/delete/", views.product_delete_view, name="product-delete"),
    path("products/<int:pk>/restore/", views.product_restore_view, name="product-restore"),
    path("groups/", views.group_list_view, name="group-list"),
    path("groups/<int:pk>/rename/", views.group_rename_view, name="group-rename"),
    path("groups/<int:pk>/move/", views.group_move_view, name="group-move"),
    path("groups/<int:pk>/delete/", views.group_delete_view, name="group-delete"),
    path("price-lists/", views.price_list_list_view, name="price-list-list"),
    path("price-lists/new/", views.price_list_create_view, name="price-list-create"),
    path("price-lists/<int:pk>/", views.price_list_detail_view, name="price-list-detail"),
    path("price-lists/<int:pk>/edit/", views.price_list_update_view, name="price-list-update"),
    path("price-lists/<int:pk>/delete/", views.price_list_delete_view, name="price-list-delete"),
    path("rules/", views.rule_list_view, name="rule-list"),
    path("rules/<int:pk>/edit/", views.rule_update_view, name="rule-update"),
    path("rules/<int:pk>/delete/", views.rule_delete_view, name="rule-delete"),
    path("rules/<int:pk>/move/", views.rule_move_view, name="rule-move"),
    path("quote/", views.quote_view, name="quote"),
    path("currencies/", views.currency_list_view, name="currency-list"),
    path("rates/new/", views.rate_create_view, name="rate-create"),
    path("rates/import/", views.rate_import_view, name="rate-import"),
]
