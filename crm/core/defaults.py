"""Rows the data migrations ship (currencies, interaction types, pipelines, templates, scripts) come back after a flush."""

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate


def restore_shipped_rows(config: AppConfig, model: str, migration: str, function: str) -> None:
    """Run `migration.function` again after `migrate` or `flush` when `model` has no rows at all.

    `manage.py flush` (and the test runner between transactional tests) empties the tables but emits
    post_migrate, not the data migrations; an installation that only deleted some shipped rows keeps
    its choice, because the migration runs again only on an empty table.
    """

    def handler(sender: AppConfig, apps: Any = global_apps, using: str = "default", **kwargs: Any) -> None:
        if not apps.get_model(config.label, model).objects.using(using).exists():
            forward: Callable[[Any, Any], None] = getattr(
                import_module(f"{config.name}.migrations.{migration}"), function
            )
            forward(apps, None)

    post_migrate.connect(handler, sender=config, weak=False, dispatch_uid=f"{config.label}.shipped.{model}")
