"""First run of the embedded default: an administrator and demo data, once; later runs keep the data."""

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from crm.accounts.models import User
from crm.accounts.roles import ADMINISTRATOR, ensure_roles
from crm.parties.models import Party


def password_file() -> Path:
    return Path(settings.VAR_DIR) / "admin_password"


class Command(BaseCommand):
    help = "Create the administrator and fill demo data if the database is empty."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--parties", type=int, default=3000)

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_roles()
        if not User.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(9)
            admin = User.objects.create_superuser("admin", "admin@example.com", password, first_name="Администратор")
            admin.groups.add(Group.objects.get(name=ADMINISTRATOR))
            password_file().write_text(password, encoding="utf-8")
            password_file().chmod(0o600)
        if options["parties"] and not Party.objects.exists():
            call_command("seed_demo", parties=options["parties"])
            # The commands of the apps above this one are called by name: the catalog (its rules use the
            # classifier nodes seed_demo made), then deals with lines priced from it.
            call_command("seed_catalog")
            call_command("seed_deals", deals=max(options["parties"] // 3, 50))
