from typing import Any

from django.core.management.base import BaseCommand

from crm.activities.management.commands.bootstrap_demo import password_file


class Command(BaseCommand):
    help = "Print the administrator's login of the embedded default."

    def handle(self, *args: Any, **options: Any) -> None:
        path = password_file()
        password = (
            path.read_text(encoding="utf-8").strip() if path.exists() else "(set with manage.py changepassword admin)"
        )
        self.stdout.write(f"Login: admin / {password}")
        self.stdout.write(
            "Demo managers: manager1 .. (password demo12345), team leads lead1, lead2, head of sales: head"
        )
