from django.db import migrations

SHIPPED = [
    ("call", "phone"),
    ("meeting", "users"),
    ("demo", "presentation"),
    ("email", "mail"),
    ("letter", "mailbox"),
    ("fax", "printer"),
    ("sms", "message"),
    ("chat", "messages"),
    ("visit", "map-pin"),
]


def forward(apps, schema_editor):
    InteractionType = apps.get_model("activities", "InteractionType")
    for position, (code, icon) in enumerate(SHIPPED):
        InteractionType.objects.get_or_create(code=code, defaults={"icon": icon, "position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
