"""The idle end of a session without a database write on every page.

A logged-in session ends ``SESSION_COOKIE_AGE`` (30 minutes) after it was last saved, and the
cookie's own expiry moves with each save. Saving it on every request (Django's
``SESSION_SAVE_EVERY_REQUEST``) costs a write transaction per page — three queries, and a
commit the database must flush. ``SessionRenewalMiddleware`` saves a logged-in session at most
once a minute instead: the idle end then comes between 29 and 30 minutes after the last
request, and any page that changes the session saves it as before."""

import time

RENEWED_AT_KEY = "idle_renewed_at"
RENEW_AFTER_SECONDS = 60


def renew(session) -> None:
    """Restart the idle countdown now (saves the session at the end of the request)."""
    session[RENEWED_AT_KEY] = time.time()


def seconds_since_renewal(session) -> float:
    renewed = session.get(RENEWED_AT_KEY)
    return 0.0 if renewed is None else max(0.0, time.time() - renewed)


class SessionRenewalMiddleware:
    """Placed after SessionMiddleware and AuthenticationMiddleware (its work is on the way
    out, before the session middleware decides whether to save)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None or not user.is_authenticated:
            return response
        renewed = session.get(RENEWED_AT_KEY)
        now = time.time()
        if renewed is None or not 0 <= now - renewed < RENEW_AFTER_SECONDS:
            session[RENEWED_AT_KEY] = now
        return response
