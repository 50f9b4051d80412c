"""Every write about accounts: invitations, links, passwords, CGU acceptance."""

import re
import secrets
import string
import unicodedata
from datetime import timedelta

from axes.models import AccessFailureLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.notifications.services import queue_email

from .models import AccountLink, TermsAcceptance

User = get_user_model()

RESET_REQUESTS_CACHE_KEY = "password-reset-requests:{ip}"


class InvitationError(Exception):
    """An invitation that cannot be sent; the message is shown to staff as is."""


class LinkNoLongerUsable(Exception):
    """The link was used, revoked or expired between opening it and submitting the form
    (two tabs, a double click): the person sees the « link no longer works » page."""


def make_identifier(email: str) -> str:
    """The part of the e-mail before « @ », lower-cased; when it is taken, the first free
    of ``name2``, ``name3``… so the family can guess it and the e-mail says which it is."""
    local_part = email.split("@", 1)[0].lower()
    return _first_free_identifier(re.sub(r"[^\w.+-]", "", local_part))


def _identifier_from_name(guardian) -> str:
    """« prénom.nom » without accents or spaces, for a guardian who has no e-mail."""
    name = f"{guardian.first_name}.{guardian.last_name}".lower()
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _first_free_identifier(re.sub(r"[^\w.+-]", "", ascii_name.replace(" ", "-")))


def _first_free_identifier(base: str) -> str:
    base = (base or "famille")[:140]
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate


def issue_account_link(*, user, purpose: str, created_by=None) -> tuple[AccountLink, str]:
    """Revoke the person's earlier links of this purpose and make a new one. Returns the
    link and the token, which exists only in the e-mail."""
    now = timezone.now()
    if purpose == AccountLink.Purpose.ACTIVATION:
        lifetime = timedelta(days=settings.ACTIVATION_LINK_DAYS)
    else:
        lifetime = timedelta(minutes=settings.PASSWORD_RESET_LINK_MINUTES)
    AccountLink.objects.filter(user=user, purpose=purpose).usable().update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    link = AccountLink.objects.create(
        user=user,
        purpose=purpose,
        token_hash=AccountLink.hash_token(token),
        created_at=now,
        expires_at=now + lifetime,
        created_by=created_by,
    )
    return link, token


def link_url(token: str) -> str:
    return settings.SITE_URL + reverse("portal:account-link", kwargs={"token": token})


@transaction.atomic
def ensure_account(*, guardian) -> User:
    """The guardian's portal account, created if needed without a usable password: their
    own, else the family account that already has their e-mail (a guardian of two households
    logs in once), else a new one whose identifier comes from the e-mail (or, without an
    e-mail, from « prénom.nom »). Raises InvitationError when the e-mail is a staff account's."""
    email = (guardian.email or "").strip()
    user = guardian.user
    if user is None and email:
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and user.is_staff:
            raise InvitationError(
                _(
                    "The address {email} belongs to a staff account: use another address "
                    "for this guardian."
                ).format(email=email)
            )
    if user is None:
        user = User(
            username=make_identifier(email) if email else _identifier_from_name(guardian),
            email=email,
            first_name=guardian.first_name,
            last_name=guardian.last_name,
        )
        user.set_unusable_password()
        user.save()
    elif email and not user.email and not User.objects.filter(email__iexact=email).exists():
        # An account made for a temporary password before the guardian had an e-mail.
        user.email = email
        user.save(update_fields=["email"])
    if guardian.user_id != user.pk:
        guardian.user = user
        guardian.save(update_fields=["user"])
    return user


def invite_guardian(*, guardian, invited_by=None) -> User:
    """Create (or reuse) the guardian's account and e-mail them their identifier and a
    single-use activation link. No password ever travels by e-mail.

    A guardian whose e-mail is already an activated account (a parent of two households) is
    linked to it and gets no invitation; InvitationError tells staff so."""
    email = (guardian.email or "").strip()
    if not email:
        raise InvitationError(
            _("{guardian} has no e-mail address: fill it in before sending the invitation.").format(
                guardian=guardian
            )
        )
    was_linked = guardian.user_id is not None
    # Committed on its own: the link to an existing account stays even though no invitation
    # follows.
    user = ensure_account(guardian=guardian)
    if user.has_usable_password() and not user.must_change_password:
        if not was_linked:
            raise InvitationError(
                _(
                    "{guardian} already has an activated account (identifier {identifier}), "
                    "which now opens this household too: no invitation is needed."
                ).format(guardian=guardian, identifier=user.username)
            )
        raise InvitationError(
            _(
                "{guardian} has already activated their account (identifier {identifier}): "
                "for a lost password, they use « I forgot my password »."
            ).format(guardian=guardian, identifier=user.username)
        )
    return _send_invitation(guardian=guardian, user=user, invited_by=invited_by)


@transaction.atomic
def _send_invitation(*, guardian, user, invited_by) -> User:
    _link, token = issue_account_link(
        user=user, purpose=AccountLink.Purpose.ACTIVATION, created_by=invited_by
    )
    queue_email(
        kind="account_invitation",
        to=user.email,
        language=user.language,
        context={
            "guardian": guardian,
            "identifier": user.username,
            "link": link_url(token),
            "valid_days": settings.ACTIVATION_LINK_DAYS,
        },
    )
    return user


def find_usable_link(token: str) -> AccountLink | None:
    link = (
        AccountLink.objects.select_related("user")
        .filter(token_hash=AccountLink.hash_token(token or ""))
        .first()
    )
    if link is None or not link.is_usable or not link.user.is_active:
        return None
    return link


@transaction.atomic
def set_password_from_link(*, link: AccountLink, password: str) -> User:
    """Use the link once: set the password, unlock the account, revoke the other links.
    Raises ``LinkNoLongerUsable`` if it was used, revoked or expired in the meantime."""
    link = AccountLink.objects.select_for_update().select_related("user").get(pk=link.pk)
    if not link.is_usable or not link.user.is_active:
        raise LinkNoLongerUsable
    now = timezone.now()
    link.used_at = now
    link.save(update_fields=["used_at"])
    AccountLink.objects.filter(user=link.user).usable().update(revoked_at=now)
    user = change_password(user=link.user, password=password)
    if link.purpose == AccountLink.Purpose.PASSWORD_RESET:
        unlock_account(user=user)
    return user


def forget_login_failures(*, user) -> int:
    """End the run of failed logins counted against this account, from every address: after
    a successful login or a password reset. Only this account's failures: the failures other
    accounts suffered from the same address still count (django-axes' own reset on success
    would wipe everything from the address, letting someone with an account of their own
    reset the count between guesses on another's). Returns how many records went."""
    return axes_reset(username=user.username.lower())


def unlock_account(*, user) -> int:
    """Lift every lock on the account after a password reset or a temporary password: the
    consecutive failures and the day's budget of wrong passwords (lockout.py). The guesses
    made so far were against a password that no longer exists."""
    username = user.username.lower()
    daily, _deleted = AccessFailureLog.objects.filter(username=username).delete()
    return forget_login_failures(user=user) + daily


def change_password(*, user, password: str) -> User:
    """Set a password the person chose. Other sessions end, since Django ties each session
    to the password hash; the person is told by e-mail."""
    had_password = user.has_usable_password() and not user.must_change_password
    user.set_password(password)
    user.must_change_password = False
    user.temporary_password_expires_at = None
    user.password_changed_at = timezone.now()
    user.save(
        update_fields=[
            "password",
            "must_change_password",
            "temporary_password_expires_at",
            "password_changed_at",
        ]
    )
    if had_password and user.email:
        queue_email(
            kind="password_changed",
            to=user.email,
            language=user.language,
            context={"user": user, "login_url": settings.SITE_URL + reverse("portal:login")},
        )
    return user


def generate_temporary_password() -> str:
    """12 random characters that always meet the municipal rule, without look-alikes."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0OoIl1")
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isupper() for c in password) and any(c.isdigit() for c in password):
            return password


@transaction.atomic
def set_temporary_password(*, user, set_by=None) -> str:
    """A password staff hand over in person. It expires and must be changed at first login."""
    password = generate_temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.temporary_password_expires_at = timezone.now() + timedelta(
        days=settings.TEMPORARY_PASSWORD_DAYS
    )
    user.save(update_fields=["password", "must_change_password", "temporary_password_expires_at"])
    AccountLink.objects.filter(user=user).usable().update(revoked_at=timezone.now())
    # Staff hand it over in person, often because the family was locked out.
    unlock_account(user=user)
    return password


def ask_for_password_reset(*, login: str) -> None:
    """What the « forgotten password » page does: find the account, and leave the rest (the
    hourly limit, the link, the e-mail) to the task worker. A task is queued for an unknown
    identifier too, so the page takes as long whether the account exists or not (AUTH-08):
    rendering and storing the e-mail in the request made it 50 ms slower for real accounts."""
    from .backends import find_user
    from .tasks import send_password_reset

    user = find_user(login)
    send_password_reset.enqueue(user_id=user.pk if user is not None else None)


def request_password_reset(*, login: str) -> None:
    """E-mail a reset link if the identifier or e-mail is an active account. The caller
    answers the same whatever happens here, so nobody learns which accounts exist."""
    from .backends import find_user

    user = find_user(login)
    if user is not None:
        send_password_reset_link(user=user)


def send_password_reset_link(*, user) -> None:
    """E-mail the account a reset link, unless it is disabled, has no e-mail, or already
    received ``PASSWORD_RESET_EMAILS_PER_HOUR`` links in the hour."""
    if not user.is_active or not user.email:
        return
    recent = AccountLink.objects.filter(
        user=user,
        purpose=AccountLink.Purpose.PASSWORD_RESET,
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()
    if recent >= settings.PASSWORD_RESET_EMAILS_PER_HOUR:
        return
    with transaction.atomic():
        _link, token = issue_account_link(user=user, purpose=AccountLink.Purpose.PASSWORD_RESET)
        queue_email(
            kind="password_reset",
            to=user.email,
            language=user.language,
            context={
                "user": user,
                "link": link_url(token),
                "valid_minutes": settings.PASSWORD_RESET_LINK_MINUTES,
            },
        )


def count_reset_request(*, ip_address: str | None) -> bool:
    """Count one password reset request from this address; False once the address made more
    than ``PASSWORD_RESET_REQUESTS_PER_IP_HOUR`` in the hour (someone trying many accounts).
    The count lives in the cache: shared by every worker when CACHES is Redis."""
    key = RESET_REQUESTS_CACHE_KEY.format(ip=ip_address or "unknown")
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= settings.PASSWORD_RESET_REQUESTS_PER_IP_HOUR


def accept_terms(*, user, terms, ip_address: str | None) -> TermsAcceptance:
    acceptance, _created = TermsAcceptance.objects.get_or_create(
        user=user, terms=terms, defaults={"ip_address": ip_address}
    )
    return acceptance
