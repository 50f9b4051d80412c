"""gunicorn settings for one web node: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Read from the environment (the same one as the portal's, see docs/operations.md):

- ``GUNICORN_BIND`` (default ``127.0.0.1:8001``): behind the reverse proxy or load balancer.
- ``GUNICORN_WORKERS`` (default: 2 × CPUs + 1) processes, each with ``GUNICORN_THREADS``
  (default 2) threads: a thread waiting on PostgreSQL or PayFiP leaves the CPU to another.
  Memory: each login hashes with Argon2 (100 MiB for a moment), count it per thread.
- ``GUNICORN_TIMEOUT`` (default 30 s): a request that takes longer is killed; PDF renders and
  exports run in the task worker, not in a request.
- ``GUNICORN_ACCESS_LOG`` (default: none): a file, or ``-`` for stderr. The portal logs each
  request itself as JSON with the route's name (portail/lib/request_log.py); gunicorn's line,
  when kept, carries no path at all, since paths may hold an activation token.

TCP_NODELAY is set on every connection by gunicorn itself (no 40 ms delayed-ACK stalls)."""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# A worker restarts after this many requests (plus jitter so they do not all restart at once),
# which bounds any slow memory growth.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# The application is loaded once in the master, then forked: less memory, faster restarts.
# Database connections are opened by each worker after the fork (Django opens them lazily).
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '"%(m)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
# The reverse proxy sets X-Forwarded-*; the portal decides whom to trust (TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "portail-famille"
