"""``/sante/``: is this node able to serve? For the load balancer and the monitoring.

200 when the database and the cache (Redis when REDIS_URL is set) answer and the task queue is
reachable with no task ready and waiting longer than HEALTH_QUEUE_MAX_AGE_SECONDS (a worker
stopped, or too few of them); 503 otherwise.
The body is JSON with counts and ages only — no personal data — and is never cached."""

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def database_status() -> dict:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("health: database unreachable (%s)", type(error).__name__)
        return {"ok": False}
    return {"ok": True}


def cache_status() -> dict:
    from django.core.cache import cache

    try:
        cache.get("portail:health")
    except Exception as error:  # Redis down, or the cache table missing
        logger.warning("health: cache unreachable (%s)", type(error).__name__)
        return {"ok": False}
    return {"ok": True}


def queue_status(now: datetime | None = None) -> dict:
    """The configured task backend's backlog: tasks ready to run, and how long the oldest of
    them has waited (seconds)."""
    backend = settings.TASKS["default"]["BACKEND"]
    now = now or timezone.now()
    try:
        if backend == "django_tasks_db.DatabaseBackend":
            backlog, oldest = _database_queue(now)
        elif backend == "django_tasks_rq.RQBackend":
            backlog, oldest = _redis_queue(now)
        else:  # immediate or dummy backends: nothing waits
            backlog, oldest = 0, None
    except Exception as error:  # any failure of the queue's store means "not reachable"
        logger.warning("health: task queue unreachable (%s)", type(error).__name__)
        return {"ok": False, "reachable": False}
    age = (now - oldest).total_seconds() if oldest else 0.0
    return {
        "ok": age <= settings.HEALTH_QUEUE_MAX_AGE_SECONDS,
        "reachable": True,
        "backlog": backlog,
        "oldest_seconds": round(max(age, 0.0), 1),
    }


def _database_queue(now: datetime):
    from django.db.models import Count, Min, Q
    from django_tasks_db.models import DBTaskResult

    # A task queued to run later waits from its run_after, the others from when they were
    # queued (their run_after is the far future).
    deferred_and_due = Q(run_after__lte=now)
    totals = DBTaskResult.objects.ready().aggregate(
        backlog=Count("pk"),
        deferred=Min("run_after", filter=deferred_and_due),
        immediate=Min("enqueued_at", filter=~deferred_and_due),
    )
    moments = [totals[key] for key in ("deferred", "immediate") if totals[key] is not None]
    return totals["backlog"], min(moments) if moments else None


def _redis_queue(now: datetime):
    import django_rq

    queue = django_rq.get_queue("default")
    queue.connection.ping()
    job_ids = queue.get_job_ids(0, 0)
    oldest = None
    if job_ids:
        job = queue.fetch_job(job_ids[0])
        oldest = job.enqueued_at if job else None
        if oldest is not None and timezone.is_naive(oldest):
            oldest = oldest.replace(tzinfo=UTC)  # RQ keeps UTC times
    return queue.count, oldest


@require_safe
@never_cache
@login_not_required
def health_view(request):
    database = database_status()
    cache = cache_status() if database["ok"] or settings.REDIS_URL else {"ok": False}
    queue = queue_status() if database["ok"] else {"ok": False, "reachable": None}
    healthy = database["ok"] and cache["ok"] and queue["ok"]
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": database,
            "cache": cache,
            "queue": queue,
        },
        status=200 if healthy else 503,
    )
