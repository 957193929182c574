"""Run the background worker: Huey's consumer with every app's `tasks` module loaded."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import autodiscover_modules
from huey.consumer import Consumer

from crm.core.queue import huey


class Command(BaseCommand):
    help = "Run the background worker (reminders, e-mail, periodic scans)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("tasks")
        consumer = Consumer(
            huey, workers=options["workers"], worker_type="thread", periodic=True, check_worker_health=True
        )
        consumer.run()
