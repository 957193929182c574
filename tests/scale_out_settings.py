"""Settings of the web and worker processes tests/test_scale_out.py starts: production's, static files unhashed.

Everything else (database, Redis queue and cache, S3 storage, SMTP, secrets, rate limits) comes from the same
`CRM_*` variables as in production. Only the static files differ: hashing and compressing them
(`collectstatic`) takes most of a minute and is not what the test is about.
"""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
