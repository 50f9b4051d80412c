"""One form per kind of request. Each validates what the family typed (French messages),
knows which household, child, contact or guardian the request is about — always among the
person's own households — and gives the ``payload`` stored with the request: only the
cleaned values of its own fields, never anything else the browser sent."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from portail.billing.models import Invoice
from portail.households.models import (
    AbsenceReason,
    Child,
    Contact,
    Guardian,
    Household,
    RequestKind,
)
from portail.households.uploads import check_upload

ABSENCE_PAST_DAYS = 31
ABSENCE_FUTURE_DAYS = 366
ACCEPT_FILES = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def normalise_phone(value: str) -> str:
    """« 0612345678 », « 06.12.34.56.78 », « +33 6 12 34 56 78 » → « 06 12 34 56 78 »;
    a foreign number (+ and 8 to 15 digits) is kept as typed, spaces tidied."""
    value = (value or "").strip()
    if not value:
        return ""
    compact = re.sub(r"[\s.\-()]", "", value)
    if compact.startswith("0033"):
        compact = "+33" + compact[4:]
    if compact.startswith("+33"):
        compact = "0" + compact[3:]
    if re.fullmatch(r"0[1-9]\d{8}", compact):
        return " ".join(compact[index : index + 2] for index in range(0, 10, 2))
    if re.fullmatch(r"\+\d{8,15}", compact):
        return " ".join(value.split())
    raise ValidationError(
        _("Enter a phone number such as 06 12 34 56 78 (or +41 … for a foreign number)."),
        code="phone",
    )


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})

    def clean(self, value):
        return normalise_phone(super().clean(value))


class CheckedFileField(forms.FileField):
    """A PDF, JPEG or PNG checked by its content (portail/households/uploads.py)."""

    default_error_messages = {
        "empty": _("This file is empty. Choose the file again."),
        "missing": _("No file was received. Choose the file again."),
        "invalid": _("No file was received. Choose the file again."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": ACCEPT_FILES}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return None
        return check_upload(upload)


class RequestForm(forms.Form):
    """What every request form shares: the person's households, and the family's comment."""

    kind: str
    title = ""
    payload_fields: list[str] = []
    has_household_choice = True

    comment = forms.CharField(
        label=_("Comment for the nursery (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user, selected=None, **kwargs):
        """``selected`` is the child, contact or guardian the family chose from a link (its
        current data fills the form)."""
        self.user = user
        self.households = list(Household.objects.for_user(user).order_by("name", "pk"))
        super().__init__(*args, **kwargs)
        if self.has_household_choice and len(self.households) > 1:
            self.fields["household"] = forms.ModelChoiceField(
                label=_("Household"),
                queryset=Household.objects.for_user(user).order_by("name", "pk"),
                empty_label=None,
            )
            self.order_fields(["household"])
        self.selected = selected
        if selected is not None and not self.is_bound:
            self.prefill(selected)

    def prefill(self, selected) -> None:
        """Fill the form with the chosen object's current values."""
        for name in self.payload_fields:
            if name in self.fields and hasattr(selected, name):
                self.initial.setdefault(name, getattr(selected, name))

    @property
    def household(self) -> Household:
        chosen = self.cleaned_data.get("household") if hasattr(self, "cleaned_data") else None
        return chosen or self.households[0]

    # What the request is about, besides its household.
    child = contact = guardian = invoice = None

    def payload(self) -> dict:
        values = {}
        for name in [*self.payload_fields, "comment"]:
            value = self.cleaned_data.get(name)
            if isinstance(value, datetime.date):
                value = value.isoformat()
            if value is None:
                value = ""
            values[name] = value
        if not values.get("comment"):
            values.pop("comment", None)
        return values

    @property
    def upload(self):
        return None

    def refuse_unchanged(self, current, names) -> None:
        """A change request that changes nothing is a mistake: say so."""
        if all(self.cleaned_data.get(name) == getattr(current, name) for name in names):
            raise ValidationError(
                _("Nothing has changed: edit at least one piece of information."),
                code="unchanged",
            )


class AddressForm(RequestForm):
    kind = RequestKind.ADDRESS
    title = _("Change of postal address")
    payload_fields = ["address_line1", "address_line2", "postal_code", "city"]

    address_line1 = forms.CharField(
        label=_("Address"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_line2 = forms.CharField(
        label=_("Address (continued)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=5,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.selected is None and self.households:
            self.prefill(self.households[0])

    def clean_postal_code(self):
        value = self.cleaned_data["postal_code"].strip()
        if not re.fullmatch(r"\d{5}", value):
            raise ValidationError(_("Enter a postal code of 5 digits."), code="postal_code")
        return value

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.refuse_unchanged(self.household, self.payload_fields)
        return cleaned


class ContactDetailsForm(RequestForm):
    kind = RequestKind.CONTACT_DETAILS
    title = _("Change of phones or e-mail")
    payload_fields = ["mobile_phone", "home_phone", "work_phone", "email"]
    has_household_choice = False

    guardian_choice = forms.ModelChoiceField(
        label=_("Whose contact details?"), queryset=Guardian.objects.none(), empty_label=None
    )
    mobile_phone = PhoneField(label=_("Mobile phone"))
    home_phone = PhoneField(label=_("Home phone"))
    work_phone = PhoneField(label=_("Work phone"))
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        help_text=_("Where the portal's e-mails are sent. Your identifier does not change."),
        error_messages={"invalid": _("Enter an e-mail address such as marie.durand@example.fr.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, user, selected=None, **kwargs):
        guardians = (
            Guardian.objects.for_user(user)
            .select_related("household")
            .order_by("household__name", "last_name", "first_name", "pk")
        )
        if selected is None:
            selected = next((g for g in guardians if g.user_id == user.pk), None)
        super().__init__(*args, user=user, selected=selected, **kwargs)
        self.fields["guardian_choice"].queryset = guardians
        self.fields["guardian_choice"].label_from_instance = lambda guardian: (
            str(guardian) if len(self.households) < 2 else f"{guardian} ({guardian.household})"
        )
        if selected is not None:
            self.initial.setdefault("guardian_choice", selected.pk)
        self.order_fields(["guardian_choice"])

    def clean(self):
        cleaned = super().clean()
        guardian = cleaned.get("guardian_choice")
        if guardian is not None and not self.errors:
            self.refuse_unchanged(guardian, self.payload_fields)
        return cleaned

    @property
    def guardian(self):
        return self.cleaned_data.get("guardian_choice")

    @property
    def household(self):
        return self.guardian.household


class ContactFieldsMixin(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    relationship = forms.CharField(
        label=_("Relationship"), max_length=100, help_text=_("e.g. grandmother, neighbour, nanny")
    )
    mobile_phone = PhoneField(label=_("Mobile phone"))
    other_phone = PhoneField(label=_("Other phone"))
    can_pick_up = forms.BooleanField(label=_("May pick the child up"), required=False)
    is_emergency_contact = forms.BooleanField(
        label=_("To be called in an emergency"), required=False
    )

    contact_fields = [
        "first_name",
        "last_name",
        "relationship",
        "mobile_phone",
        "other_phone",
        "can_pick_up",
        "is_emergency_contact",
    ]

    def check_phones(self, cleaned) -> None:
        if not cleaned.get("mobile_phone") and not cleaned.get("other_phone"):
            self.add_error(
                "mobile_phone",
                ValidationError(
                    _("Give at least one phone number, so that the nursery can call this person."),
                    code="no_phone",
                ),
            )


class ContactAddForm(ContactFieldsMixin, RequestForm):
    kind = RequestKind.CONTACT_ADD
    title = _("New person in the entourage")
    payload_fields = ContactFieldsMixin.contact_fields

    def clean(self):
        cleaned = super().clean()
        self.check_phones(cleaned)
        return cleaned


class ContactChoiceMixin:
    has_household_choice = False

    def setup_contact_choice(self):
        contacts = Contact.objects.for_user(self.user).order_by("last_name", "first_name", "pk")
        self.fields["contact_choice"] = forms.ModelChoiceField(
            label=_("Person of the entourage"), queryset=contacts
        )
        if self.selected is not None:
            self.initial.setdefault("contact_choice", self.selected.pk)
        self.order_fields(["contact_choice"])

    @property
    def contact(self):
        return self.cleaned_data.get("contact_choice")

    @property
    def household(self):
        return self.contact.household


class ContactChangeForm(ContactChoiceMixin, ContactFieldsMixin, RequestForm):
    kind = RequestKind.CONTACT_CHANGE
    title = _("Change to a person of the entourage")
    payload_fields = ContactFieldsMixin.contact_fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_contact_choice()

    def clean(self):
        cleaned = super().clean()
        self.check_phones(cleaned)
        contact = cleaned.get("contact_choice")
        if contact is not None and not self.errors:
            self.refuse_unchanged(contact, self.payload_fields)
        return cleaned


class ContactRemoveForm(ContactChoiceMixin, RequestForm):
    kind = RequestKind.CONTACT_REMOVE
    title = _("Removal of a person from the entourage")
    payload_fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_contact_choice()


class ChildChoiceMixin:
    has_household_choice = False

    def setup_child_choice(self):
        children = Child.objects.for_user(self.user).order_by("birth_date", "first_name", "pk")
        self.fields["child_choice"] = forms.ModelChoiceField(
            label=_("Child"), queryset=children, empty_label=None
        )
        if self.selected is not None:
            self.initial.setdefault("child_choice", self.selected.pk)
        self.order_fields(["child_choice"])

    @property
    def child(self):
        return self.cleaned_data.get("child_choice")

    @property
    def household(self):
        return next(
            household
            for household in Household.objects.for_user(self.user).filter(children=self.child)
        )


class AbsenceForm(ChildChoiceMixin, RequestForm):
    kind = RequestKind.ABSENCE
    title = _("Absence")
    payload_fields = ["starts_on", "ends_on", "reason"]

    starts_on = forms.DateField(
        label=_("First day of absence"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 14/03/2026.")},
    )
    ends_on = forms.DateField(
        label=_("Last day of absence (included)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 14/03/2026.")},
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=AbsenceReason.choices)
    certificate = CheckedFileField(
        label=_("Medical certificate (optional)"),
        required=False,
        help_text=_("PDF, JPEG or PNG."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_child_choice()
        self.fields["certificate"].help_text = _("PDF, JPEG or PNG, %(limit)s at most.") % {
            "limit": _limit()
        }

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        today = timezone.localdate()
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error(
                "ends_on",
                ValidationError(
                    _("The last day of the absence cannot be before its first day."),
                    code="ends_before_start",
                ),
            )
        if starts_on and starts_on < today - datetime.timedelta(days=ABSENCE_PAST_DAYS):
            self.add_error(
                "starts_on",
                ValidationError(
                    _("An absence can be reported up to %(days)s days after it began.")
                    % {"days": ABSENCE_PAST_DAYS},
                    code="too_old",
                ),
            )
        if ends_on and ends_on > today + datetime.timedelta(days=ABSENCE_FUTURE_DAYS):
            self.add_error(
                "ends_on",
                ValidationError(
                    _("An absence can be reported at most one year ahead."), code="too_far"
                ),
            )
        return cleaned

    @property
    def upload(self):
        return self.cleaned_data.get("certificate")


class HealthForm(ChildChoiceMixin, RequestForm):
    kind = RequestKind.HEALTH
    title = _("Health information")
    payload_fields = ["allergies", "doctor", "pai"]

    allergies = forms.CharField(
        label=_("Allergies and diet"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Food or other allergies, special diet. Leave empty if none."),
    )
    doctor = forms.CharField(
        label=_("Family doctor"),
        required=False,
        max_length=300,
        help_text=_("Name and phone of the child's doctor."),
    )
    pai = forms.CharField(
        label=_("PAI (projet d'accueil individualisé)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the PAI provides for (treatment, protocol). Leave empty if none."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_child_choice()

    def clean(self):
        cleaned = super().clean()
        child = cleaned.get("child_choice")
        if child is not None and not self.errors:
            self.refuse_unchanged(child, self.payload_fields)
        return cleaned


class DocumentForm(RequestForm):
    kind = RequestKind.DOCUMENT
    title = _("Send a document")
    payload_fields = ["title"]

    document = CheckedFileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"] = forms.CharField(
            label=_("What is this document?"),
            max_length=150,
            help_text=_("e.g. vaccination record, CAF certificate, proof of address"),
        )
        self.fields["document"].help_text = _("PDF, JPEG or PNG, %(limit)s at most.") % {
            "limit": _limit()
        }
        self.order_fields(["household", "title", "document", "comment"])

    @property
    def upload(self):
        return self.cleaned_data.get("document")


class MessageForm(RequestForm):
    kind = RequestKind.MESSAGE
    title = _("Message to the nursery")
    payload_fields = ["subject", "message"]

    subject = forms.CharField(label=_("Subject"), max_length=150)
    message = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The message is the comment here: no second text box.
        del self.fields["comment"]


class LineCheckboxes(forms.CheckboxSelectMultiple):
    # The error summary links to the field's id: the first box, since a group of boxes has
    # no id of its own (Django gives none, so that its <label> toggles no box).
    def id_for_label(self, id_, index="0"):
        return super().id_for_label(id_, index)


class DisputedLinesField(forms.ModelMultipleChoiceField):
    """The invoice's lines, as boxes to tick: a line of another invoice is refused."""

    widget = LineCheckboxes

    def clean(self, value):
        # A line id is a positive number the database can hold: anything else is refused
        # before the query (SQLite cannot even bind 99999999999999999999 and would fail).
        for key in value or []:
            if not str(key).isdigit() or int(key) >= 2**63:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().clean(value)

    def label_from_instance(self, line):
        from portail.households.models.requests import disputed_line_text

        return disputed_line_text(
            {"label": line.label, "child_name": line.child_name, "amount": str(line.amount)}
        )


class InvoiceForm(RequestForm):
    """« Réclamation sur une facture »: the family says what it thinks is wrong on one of its
    issued invoices, and which lines. The lines are stored as they read (label, child, amount)
    since an issued invoice never changes; the invoice itself is linked to the request."""

    kind = RequestKind.INVOICE
    title = _("Report an error on an invoice")
    payload_fields = ["message"]
    has_household_choice = False

    message = forms.CharField(
        label=_("What do you think is wrong?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("e.g. hours that do not match the days your child came, a wrong rate."),
        error_messages={
            "required": _("Say what you think is wrong on this invoice, so that it can be checked.")
        },
    )
    document = CheckedFileField(label=_("Attached file (optional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The message is the comment here: no second text box.
        del self.fields["comment"]
        if self.selected is None:
            # Opened from « Nouvelle demande »: the family chooses among its issued invoices.
            self.fields["invoice_choice"] = forms.ModelChoiceField(
                label=_("Invoice concerned"),
                queryset=Invoice.objects.visible_to(self.user)
                .issued()
                .select_related("kind")
                .order_by("-period_on", "-issued_on", "-number", "-pk"),
                error_messages={
                    "required": _("Choose the invoice concerned."),
                    "invalid_choice": _("Choose one of your invoices."),
                },
            )
            self.fields["invoice_choice"].label_from_instance = lambda invoice: _(
                "Invoice {number} of {period}"
            ).format(number=invoice.number, period=formats.date_format(invoice.period_on, "F Y"))
        else:
            self.fields["lines"] = DisputedLinesField(
                label=_("Lines concerned (optional)"),
                queryset=self.selected.lines.order_by("child_name", "position", "pk"),
                required=False,
                error_messages={
                    "invalid_choice": _("Tick only lines of this invoice."),
                    "invalid_pk_value": _("Tick only lines of this invoice."),
                },
            )
        self.fields["document"].help_text = _("PDF, JPEG or PNG, %(limit)s at most.") % {
            "limit": _limit()
        }
        self.order_fields(["invoice_choice", "lines", "message", "document"])

    @property
    def invoice(self):
        return self.selected or self.cleaned_data.get("invoice_choice")

    @property
    def household(self):
        return self.invoice.household

    def payload(self) -> dict:
        values = super().payload()
        lines = self.cleaned_data.get("lines") or []
        values["lines"] = [
            {"label": line.label, "child_name": line.child_name, "amount": str(line.amount)}
            for line in lines
        ]
        if not values["lines"]:
            values.pop("lines")
        return values

    @property
    def upload(self):
        return self.cleaned_data.get("document")


def _limit() -> str:
    from django.conf import settings
    from django.template.defaultfilters import filesizeformat

    return filesizeformat(settings.REQUEST_UPLOAD_MAX_BYTES)


# URL slug (French, as the family reads the address) → form.
FORMS = {
    "adresse": AddressForm,
    "coordonnees": ContactDetailsForm,
    "entourage-ajout": ContactAddForm,
    "entourage-modification": ContactChangeForm,
    "entourage-retrait": ContactRemoveForm,
    "absence": AbsenceForm,
    "sante": HealthForm,
    "document": DocumentForm,
    "message": MessageForm,
    "facture": InvoiceForm,
}
SLUGS = {form.kind: slug for slug, form in FORMS.items()}
