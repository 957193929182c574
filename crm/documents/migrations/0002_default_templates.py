from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def add_default_templates(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from crm.documents.services import ensure_default_templates

    ensure_default_templates(apps.get_model("documents", "DocumentTemplate"))


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(add_default_templates, migrations.RunPython.noop)]
