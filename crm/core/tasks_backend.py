"""A Django Tasks backend that hands work to Huey workers (`manage.py run_worker`)."""

from typing import Any, TypeVar

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from typing_extensions import ParamSpec

from crm.core.queue import huey

T = TypeVar("T")
P = ParamSpec("P")


@huey.task(retries=3, retry_delay=10)
def run_task(module_path: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Run the Django task named by `module_path`; the task function itself must be idempotent."""
    task = import_string(module_path)
    task.call(*args, **kwargs)


class HueyBackend(BaseTaskBackend):
    supports_defer = True

    def enqueue(self, task: Task[P, T], args: P.args, kwargs: P.kwargs) -> TaskResult[T]:  # type: ignore[valid-type]
        self.validate_task(task)
        if task.run_after is not None:
            run_task.schedule(args=(task.module_path, list(args), dict(kwargs)), eta=task.run_after)
        else:
            run_task(task.module_path, list(args), dict(kwargs))
        now = timezone.now()
        return TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=now,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
