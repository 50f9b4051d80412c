"""The identifiers of a SEPA direct debit, checked before anything is stored or sent: the
debtor's IBAN and BIC, the creditor's ICS, the mandate's RUM. Pure functions, no models.

A wrong identifier raises ``ValidationError`` with a message a family understands (English
msgid, French in locale/fr/parts/sepa_formats.json) and a ``code`` the caller may test.
"""

import re
import unicodedata
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors

# Some countries (Sweden…) have national check digits schwifty cannot verify: it accepts them
# with a warning. The ISO 13616 check digits still catch a mistyped IBAN, so we accept them
# too, without a warning in the logs for every such IBAN.
warnings.filterwarnings("ignore", category=schwifty_errors.NationalChecksumNotVerified)

# What people paste: spaces (normal, no-break, narrow no-break) and tabs between the groups.
_SPACES = re.compile(r"[\s\u00a0\u202f]+")

# Countries whose national check digits are the French « clé RIB ».
_RIB_KEY_COUNTRIES = {"FR", "MC"}

# ICS: country, 2 check digits, 3-character creditor business code, national identifier.
_ICS = re.compile(
    r"(?P<country>[A-Z]{2})(?P<check>[0-9]{2})(?P<business>[A-Z0-9]{3})(?P<national>[A-Z0-9]{1,28})"
)
FRENCH_ICS_LENGTH = 13

# The mandate reference (RUM, pain.008 MndtId): at most 35 characters of the SEPA character
# set; EPC rules forbid a leading or trailing "/" and "//" anywhere.
RUM_MAX_LENGTH = 35
_RUM = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")


@dataclass(frozen=True)
class IbanInfo:
    compact: str  # "FR7630001007941234567890185"
    formatted: str  # "FR76 3000 1007 9412 3456 7890 185"
    bic: str | None  # derived from the bank registry when it knows the bank
    country_code: str
    last4: str


def _compact(value: str) -> str:
    return _SPACES.sub("", value or "").upper()


def check_iban(value: str) -> IbanInfo:
    """The IBAN ``value`` (spaces and lower case allowed) if it can be debited by SEPA direct
    debit: known country of the SEPA zone, right length and structure, right ISO 13616 check
    digits and right national check digits (the French RIB key). Raises ValidationError."""
    iban = _sepa_iban(value)
    bic = iban.bic
    return IbanInfo(
        compact=iban.compact,
        formatted=iban.formatted,
        bic=bic.compact if bic is not None else None,
        country_code=iban.country_code,
        last4=iban.compact[-4:],
    )


def check_iban_compact(value: str) -> str:
    """The IBAN ``value`` without spaces, checked as by check_iban but without looking its
    bank up in the BIC registry (a third of the time, for files of thousands of debits)."""
    return _sepa_iban(value).compact


def _sepa_iban(value: str) -> IBAN:
    compact = _compact(value)
    if not compact:
        raise ValidationError(_("Enter the IBAN of the account to debit."), code="iban_required")
    if not compact.isascii() or not compact.isalnum():
        raise ValidationError(
            _("An IBAN is made of letters and digits only: remove any other character."),
            code="iban_characters",
        )
    if not re.match(r"[A-Z]{2}[0-9]{2}", compact):
        raise ValidationError(
            _("An IBAN starts with the 2 letters of its country and 2 check digits (FR76…)."),
            code="iban_start",
        )
    country = compact[:2]
    try:
        expected_length = IBAN(compact, allow_invalid=True).spec.iban_length
    except schwifty_errors.InvalidCountryCode:
        raise ValidationError(
            _("This IBAN does not start with a known country code (for example FR76…)."),
            code="iban_country",
        ) from None
    if len(compact) != expected_length:
        raise ValidationError(
            _(
                "An IBAN of this country has %(expected)s characters; this one has "
                "%(length)s. Check that no character is missing or added."
            ),
            code="iban_length",
            params={"expected": expected_length, "length": len(compact)},
        )
    try:
        iban = IBAN(compact, validate_bban=True)
    except schwifty_errors.InvalidStructure:
        raise ValidationError(
            _(
                "Some characters of this IBAN are not in their place (a letter where a digit "
                "is expected, for example): check the characters you copied."
            ),
            code="iban_structure",
        ) from None
    except schwifty_errors.InvalidChecksumDigits:
        raise ValidationError(
            _("The check digits of this IBAN are wrong: check the characters you copied."),
            code="iban_checksum",
        ) from None
    except schwifty_errors.InvalidBBANChecksum:
        if country in _RIB_KEY_COUNTRIES:
            message = _("The RIB key of this IBAN is wrong: check the digits you copied.")
        else:
            message = _(
                "The national check digits of this IBAN are wrong: check the digits you copied."
            )
        raise ValidationError(message, code="iban_national_checksum") from None
    except schwifty_errors.SchwiftyException:
        raise ValidationError(
            _("This IBAN is not valid: check the characters you copied."), code="iban_invalid"
        ) from None
    if not iban.in_sepa_zone:
        raise ValidationError(
            _(
                "This account is outside the SEPA area (country code %(country)s): it cannot "
                "be debited by SEPA direct debit."
            ),
            code="iban_outside_sepa",
            params={"country": country},
        )
    return iban


def check_bic(value: str) -> str:
    """The BIC ``value`` in upper case without spaces (8 or 11 characters). Raises
    ValidationError when it is not shaped like a BIC. An unknown bank is not refused: the
    bundled registry does not know every bank."""
    compact = _compact(value)
    if not compact:
        raise ValidationError(_("Enter the BIC of the bank."), code="bic_required")
    try:
        bic = BIC(compact)
    except schwifty_errors.InvalidLength:
        raise ValidationError(
            _("A BIC has 8 or 11 characters (for example BDFEFRPP)."), code="bic_length"
        ) from None
    except schwifty_errors.SchwiftyException:
        raise ValidationError(
            _(
                "This BIC is not valid: 4 letters for the bank, 2 for the country, then 2 or 5 "
                "letters or digits (for example BDFEFRPP)."
            ),
            code="bic_structure",
        ) from None
    return bic.compact


def ics_check_digits(country: str, national_id: str) -> str:
    """The two check digits of an ICS: ISO 7064 MOD 97-10 over the national identifier, the
    country and "00", letters counted as 10 to 35; the business code is not part of it."""
    digits = "".join(str(int(character, 36)) for character in national_id + country + "00")
    return f"{98 - int(digits) % 97:02d}"


def check_ics(value: str) -> str:
    """The SEPA creditor identifier (ICS) ``value`` in upper case without spaces, e.g.
    "FR72ZZZ123456" (13 characters in France). Raises ValidationError."""
    compact = _compact(value)
    if not compact:
        raise ValidationError(_("Enter the SEPA creditor identifier (ICS)."), code="ics_required")
    match = _ICS.fullmatch(compact) if compact.isascii() else None
    if match is None:
        raise ValidationError(
            _(
                "A SEPA creditor identifier (ICS) is made of the country code, 2 check digits, "
                "a 3-character business code and the national identifier, for example "
                "FR72ZZZ123456."
            ),
            code="ics_structure",
        )
    if match["country"] == "FR" and len(compact) != FRENCH_ICS_LENGTH:
        raise ValidationError(
            _(
                "A French SEPA creditor identifier (ICS) has 13 characters; this one has "
                "%(length)s."
            ),
            code="ics_length",
            params={"length": len(compact)},
        )
    if ics_check_digits(match["country"], match["national"]) != match["check"]:
        raise ValidationError(
            _(
                "The check digits of this SEPA creditor identifier (ICS) are wrong: check the "
                "characters you copied."
            ),
            code="ics_checksum",
        )
    return compact


def mask_iban(compact: str) -> str:
    """The IBAN as shown in lists and e-mails: the country code and check digits, then only
    the last 4 characters, in groups of 4 ("FR76 **** **** **** **** ***0 185")."""
    compact = _compact(compact)
    if len(compact) <= 8:
        return "*" * len(compact)
    masked = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(masked[start : start + 4] for start in range(0, len(masked), 4))


def is_valid_rum(value: str) -> bool:
    """Whether ``value`` can be a mandate reference (RUM): 1 to 35 characters of the SEPA
    character set, not starting or ending with "/" or a space, no "//"."""
    return bool(
        value
        and _RUM.fullmatch(value)
        and value == value.strip()
        and not value.startswith("/")
        and not value.endswith("/")
        and "//" not in value
    )


def _rum_part(value: str) -> str:
    """``value`` in upper-case ASCII letters, digits and single dashes."""
    ascii_value = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", "-", ascii_value.upper()).strip("-")


def make_rum(*, prefix: str, household_code: str, sequence: int) -> str:
    """A new mandate reference "<PREFIX>-<HOUSEHOLD>-<SEQUENCE>", e.g. "CRECHE-F00042-001".
    The caller keeps ``sequence`` increasing per household so that a RUM is never reused.
    Raises ValueError if the parts do not fit in 35 characters."""
    if sequence < 0:
        raise ValueError("The sequence of a RUM cannot be negative.")
    parts = [_rum_part(prefix), _rum_part(household_code), f"{sequence:03d}"]
    rum = "-".join(part for part in parts if part)
    if len(rum) > RUM_MAX_LENGTH or not is_valid_rum(rum):
        raise ValueError(f"A RUM has at most {RUM_MAX_LENGTH} characters: {rum!r} does not fit.")
    return rum
