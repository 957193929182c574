from django.db import migrations

CURRENCIES = [
    ("RUB", "Российский рубль", "₽", True),
    ("USD", "Доллар США", "$", False),
    ("EUR", "Евро", "€", False),
    ("CNY", "Китайский юань", "¥", False),
    ("KZT", "Казахстанский тенге", "₸", False),
    ("BYN", "Белорусский рубль", "Br", False),
]


def create_currencies(apps, schema_editor):
    Currency = apps.get_model("catalog", "Currency")
    has_base = Currency.objects.filter(is_base=True).exists()
    for code, name, symbol, is_base in CURRENCIES:
        Currency.objects.get_or_create(code=code, defaults={"name": name, "symbol": symbol, "is_base": is_base and not has_base})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create_currencies, migrations.RunPython.noop)]
