"""Test settings: the same as production but for fast hashing and tasks run by hand."""

from config.settings import *  # noqa: F403
from config.settings import HUEY_SETTINGS, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY_SETTINGS = {**HUEY_SETTINGS, "immediate": True}
