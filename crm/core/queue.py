"""The Huey instance that carries background work: SQLite by default, Redis when CRM_REDIS_URL is set."""

from django.conf import settings
from huey import Huey, RedisHuey, SqliteHuey


def make_huey() -> Huey:
    options = settings.HUEY_SETTINGS
    if options["redis_url"]:
        return RedisHuey(options["name"], url=options["redis_url"], immediate=options["immediate"], utc=True)
    return SqliteHuey(options["name"], filename=options["sqlite_path"], immediate=options["immediate"], utc=True)


huey = make_huey()
