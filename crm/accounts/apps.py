from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "crm.accounts"
    label = "accounts"
    verbose_name = _("Users and teams")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_roles_after_last_app, dispatch_uid="crm.accounts.ensure_roles")


def _ensure_roles_after_last_app(sender: AppConfig, **kwargs: object) -> None:
    """Create the shipped roles once every app's permissions exist (post_migrate of the last app)."""
    from django.apps import apps

    if sender is list(apps.get_app_configs())[-1]:
        from crm.accounts.roles import ensure_roles

        ensure_roles()
