"""Password rules. The municipal rule (≥ 8 characters, one capital, one digit) is the floor;
passphrases of ``PASSWORD_PASSPHRASE_LENGTH`` characters or more are exempt from the
composition part; staff need ``PASSWORD_STAFF_MIN_LENGTH`` characters."""

import functools
import unicodedata

from django.conf import settings
from django.contrib.auth import password_validation
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


def _letters(text: str) -> str:
    """Lower case, without accents, digits, spaces or punctuation: « Crèche-2025! » → creche."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if c.isalpha() and c.isascii())


# Words French families reach for, that a digit and a capital do not make safe (the French
# counterpart of Django's common password list, which is English): their letters alone are
# refused, whatever digits or symbols surround them.
FRENCH_COMMON_WORDS = {
    "azerty", "qwertz", "motdepasse", "mdp", "soleil", "bonjour", "coucou",
    "doudou", "loulou", "chouchou", "nounours", "bisous", "jetaime", "amour", "mamour",
    "cheri", "cherie", "maman", "papa", "bebe", "enfant", "enfants", "famille", "chocolat",
    "caramel", "princesse", "marseille", "paris", "lyon", "toulouse", "bordeaux", "lille",
    "france", "football", "vacances", "camille", "nicolas", "julien", "thomas", "marie",
    "sophie", "emma", "louise", "lucas", "hugo", "leo", "chloe", "manon", "sarah", "celine",
    "isabelle", "nathalie", "stephanie", "sandrine", "valerie", "christophe", "sebastien",
    "jeremy", "alexandre", "titou", "minou", "chaton", "chien", "poupette", "tresor",
    "secret", "bienvenue", "salut", "merci", "fleur", "etoile", "printemps", "hiver", "ete",
    "automne", "noel", "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet",
    "aout", "septembre", "octobre", "novembre", "decembre",
    # Found accepted by tests/trust/test_password_policy.py (family words, days, animals).
    "azertyuiop", "biberon", "bisou", "bonheur", "bonsoir", "calin", "dauphin", "dimanche",
    "lapin", "liberte", "licorne", "lundi", "mamie", "nantes", "nice", "papi", "papillon",
    "pirate", "pompier", "poussin", "samedi", "tetine",
}  # fmt: skip
# The portal's own context (SECURITY.md AUTH-02): the service, its words, the town.
CONTEXT_WORDS = {
    "creche", "creches", "portail", "portailfamille", "petiteenfance", "mairie", "commune",
    "ville", "regie", "facture", "multiaccueil", "halte", "garderie", "nounou",
}  # fmt: skip


@functools.cache
def _django_validators():
    # The common password list is read once per process, not at each validation.
    return (
        password_validation.CommonPasswordValidator(),
        password_validation.UserAttributeSimilarityValidator(),
    )


def _refused_by_django(password, user) -> bool:
    for validator in _django_validators():
        try:
            validator.validate(password, user)
        except ValidationError:
            return True
    return False


class ContextPasswordValidator:
    """Refuses a password whose letters are only a common French word or a word of the
    portal's context — the town, a nursery, the service, the person's own or children's names
    — dressed with digits and symbols (« Creche2025 », « Durand1! », « Léa2023 »)."""

    def validate(self, password, user=None):
        letters = _letters(password)
        if not letters or _refused_by_django(password, user):
            return  # Django's validators already say why, more precisely
        if letters in FRENCH_COMMON_WORDS or letters in CONTEXT_WORDS:
            raise ValidationError(self._message(), code="password_context_word")
        if letters in self._personal_words(user):
            raise ValidationError(self._message(), code="password_context_word")

    @staticmethod
    def _message() -> str:
        return _(
            "This password is too easy to guess: it is a common word, or a name linked to you "
            "or to the portal, with digits or symbols around it."
        )

    @classmethod
    def _personal_words(cls, user) -> set[str]:
        # Kept on the user object: a form validates twice, a blocklist test thousands of times.
        cached = getattr(user, "_password_context_words", None)
        if cached is not None:
            return cached
        words = cls._collect_personal_words(user)
        if user is not None:
            user._password_context_words = words
        return words

    @staticmethod
    def _collect_personal_words(user) -> set[str]:
        from portail.organisation.models import Organisation

        organisation = Organisation.current()
        words = {_letters(organisation.town_name), _letters(organisation.service_name)}
        words.update(_letters(part) for part in organisation.town_name.replace("-", " ").split())
        from portail.nurseries.models import Nursery

        for name in Nursery.objects.values_list("name", flat=True):
            words.add(_letters(name))
        if user is not None:
            for value in (user.first_name, user.last_name, user.username, user.email.split("@")[0]):
                words.add(_letters(value or ""))
                words.update(_letters(part) for part in (value or "").replace(".", " ").split())
            if user.pk:
                from portail.households.models import Child

                for first, last in Child.objects.for_user(user).values_list(
                    "first_name", "last_name"
                ):
                    words.update({_letters(first), _letters(last), _letters(first + last)})
        words.discard("")
        return words

    def get_help_text(self):
        return self._message()
