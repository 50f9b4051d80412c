"""Structured logs: one JSON object per line, and one line per request.

The request line says what was asked and how it went — method, the route's name (never the
path, which may carry an activation token, nor the query string), status, duration — and who
asked only as a pseudonym (a keyed hash of the user id, stable for one SECRET_KEY): never an
e-mail address, a name, an IBAN or a token. Log shippers (journald, Loki, ELK) read the lines
as they are."""

import json
import logging
import time
from datetime import UTC, datetime

from django.utils.crypto import salted_hmac

request_logger = logging.getLogger("portail.requests")

# Django's own request loggers put the path in their message ("Not Found: /compte/lien/…"):
# only its first part (the reason) is kept.
_PATH_LOGGERS = {"django.request", "django.server"}


def pseudonym(user_id) -> str:
    """The same short opaque value for the same user on every node, unusable to find them
    without SECRET_KEY."""
    return salted_hmac("portail.request_log", str(user_id)).hexdigest()[:16]


class RequestLogMiddleware:
    """Logs each request handled by Django (WhiteNoise answers static files before it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        request_logger.info(
            "request",
            extra={
                "fields": {
                    "method": request.method,
                    "route": match.view_name if match else None,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user": pseudonym(user.pk) if user and user.is_authenticated else None,
                }
            },
        )
        return response


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", …fields}`` on one line, time in UTC."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name in _PATH_LOGGERS:
            message = str(record.args[0]) if isinstance(record.args, tuple) else record.msg
        else:
            message = record.getMessage()
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        if record.name in _PATH_LOGGERS and hasattr(record, "status_code"):
            line["status"] = record.status_code
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
