from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


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
