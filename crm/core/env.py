"""Typed readers of `CRM_*` environment variables that fail loudly on bad values."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str:
    """A string setting; `<NAME>_FILE` may point at a file holding the secret instead (a value set wins)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path and not os.environ.get(name):
        return Path(file_path).read_text(encoding="utf-8").strip()
    raw = os.environ.get(name)
    if raw is None:
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set")
        return default
    return raw


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is not None and raw not in ("true", "false"):
        raise ImproperlyConfigured(f"{name} must be 'true' or 'false', got {raw!r}")
    return default if raw is None else raw == "true"


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
