"""Password rules. The municipal rule (≥ 8 characters, one capital, one digit) is the floor;
passphrases of ``PASSWORD_PASSPHRASE_LENGTH`` characters or more are exempt from the
composition part; staff need ``PASSWORD_STAFF_MIN_LENGTH`` characters."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_PASSWORD_LENGTH = 128


def password_rule_descriptions(user=None) -> list[str]:
    """The rule in words, shown next to the password field before anything is typed."""
    rules = [_min_length_message(_min_length(user))]
    if settings.PASSWORD_REQUIRE_UPPERCASE:
        rules.append(_("At least one capital letter."))
    if settings.PASSWORD_REQUIRE_DIGIT:
        rules.append(_("At least one digit."))
    if settings.PASSWORD_PASSPHRASE_LENGTH and (
        settings.PASSWORD_REQUIRE_UPPERCASE or settings.PASSWORD_REQUIRE_DIGIT
    ):
        rules.append(
            _("A passphrase of {length} characters or more needs no capital or digit.").format(
                length=settings.PASSWORD_PASSPHRASE_LENGTH
            )
        )
    rules.append(_("Not a common password, and not close to your name or e-mail."))
    return rules


def _min_length(user) -> int:
    if user is not None and getattr(user, "is_staff", False):
        return max(settings.PASSWORD_STAFF_MIN_LENGTH, settings.PASSWORD_MIN_LENGTH)
    return settings.PASSWORD_MIN_LENGTH


def _min_length_message(length: int) -> str:
    return ngettext("At least {length} character.", "At least {length} characters.", length).format(
        length=length
    )


class MunicipalPasswordValidator:
    """Length and composition. Each unmet rule is its own error, so the form lists them all."""

    def validate(self, password, user=None):
        errors = []
        min_length = _min_length(user)
        if len(password) < min_length:
            errors.append(
                ValidationError(_min_length_message(min_length), code="password_too_short")
            )
        is_passphrase = (
            settings.PASSWORD_PASSPHRASE_LENGTH
            and len(password) >= settings.PASSWORD_PASSPHRASE_LENGTH
        )
        if not is_passphrase:
            if settings.PASSWORD_REQUIRE_UPPERCASE and not any(c.isupper() for c in password):
                errors.append(
                    ValidationError(_("At least one capital letter."), code="password_no_upper")
                )
            # isdecimal, not isdigit: « ² » (a key of French keyboards) or « ③ » are not the
            # digit the rule asks for.
            if settings.PASSWORD_REQUIRE_DIGIT and not any(c.isdecimal() for c in password):
                errors.append(ValidationError(_("At least one digit."), code="password_no_digit"))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        return " ".join(password_rule_descriptions())


class MaximumLengthValidator:
    """128 characters at most (ASVS 2.1.2): long enough for any passphrase, short enough
    that hashing cannot be abused."""

    def validate(self, password, user=None):
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(
                _("At most {length} characters.").format(length=MAX_PASSWORD_LENGTH),
                code="password_too_long",
            )

    def get_help_text(self):
        return _("At most {length} characters.").format(length=MAX_PASSWORD_LENGTH)
