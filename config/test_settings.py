"""Test settings: the same as production but for fast hashing and tasks run by hand."""

import os

os.environ.setdefault("CRM_SECRET_KEY", "test-only-secret-key")

from config.settings import *  # noqa: E402, F403
from config.settings import HUEY_SETTINGS, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY_SETTINGS = {**HUEY_SETTINGS, "immediate": True}
