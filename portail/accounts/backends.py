import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


def client_ip_address(request) -> str | None:
    """The address of the person, for login throttling and the CGU proof.

    Without a reverse proxy it is REMOTE_ADDR, and X-Forwarded-For is ignored: anyone can
    write it. Behind ``TRUSTED_PROXY_COUNT`` proxies, each appending the address it saw, it is
    that many entries from the right of X-Forwarded-For; what stands further left came from
    the client and is ignored. A header too short or not an address falls back to REMOTE_ADDR,
    so a misconfiguration locks the proxy's address rather than trusting the client."""
    remote_addr = request.META.get("REMOTE_ADDR")
    proxy_count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if not proxy_count:
        return remote_addr
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxy_count:
        return remote_addr
    candidate = forwarded[-proxy_count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


def find_user(login: str):
    """The account behind an identifier or an e-mail, case-insensitively, or None."""
    login = (login or "").strip()
    if not login:
        return None
    User = get_user_model()
    field = "email__iexact" if "@" in login else "username__iexact"
    return User.objects.filter(Q(**{field: login})).first()


def axes_username(request, credentials) -> str:
    """Count failures per account whatever the spelling used to log in: the identifier,
    the e-mail, upper or lower case all lock the same account."""
    login = (credentials or {}).get("username") or ""
    user = find_user(login)
    return user.username.lower() if user else login.strip().lower()


class IdentifierOrEmailBackend(ModelBackend):
    """Log in with the identifier or the e-mail, case-insensitively."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_user(username)
        if user is None:
            # Hash anyway so that an unknown login takes as long as a wrong password.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
