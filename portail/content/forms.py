"""Back-office forms of the content app: audience limits, upload checks, dates."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Allergen, Menu, MenuDish, News, OfficialDocumentVersion, PracticalPage
from .uploads import checked_image, checked_pdf


def _is_new_upload(value) -> bool:
    """True for a file just sent in the form (not the stored one, not a cleared field)."""
    return bool(value) and hasattr(value, "content_type")


class _StoredFile:
    """What the file widget shows of a stored file: its name, linked to a view that checks
    who asks (the storage's own URL would be a public /media/ address)."""

    def __init__(self, name: str, url: str):
        self.name, self.url = name, url

    def __str__(self):
        return self.name.rsplit("/", 1)[-1]


class ProtectedFileInput(forms.ClearableFileInput):
    def __init__(self, *, url: str, **kwargs):
        super().__init__(**kwargs)
        self.url = url

    def format_value(self, value):
        if self.is_initial(value):
            return _StoredFile(value.name, self.url)
        return super().format_value(value)

    def is_initial(self, value):
        return bool(value and getattr(value, "name", None))


class ProtectedFilesMixin:
    """File fields of a saved row link to the back office's checked view (``file_views``:
    field name → admin URL name taking the row's pk)."""

    file_views: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name, view in self.file_views.items():
            if name in self.fields:
                url = reverse(view, args=[self.instance.pk])
                self.fields[name].widget = ProtectedFileInput(url=url)


class AudienceFormMixin:
    """Everyone or some nurseries, never nobody. ``current_user`` is set by the admin: nursery
    staff may not address all families (the field is read-only for them) and are offered
    only their nurseries."""

    current_user = None

    def clean(self):
        cleaned = super().clean()
        for_all = cleaned.get("for_all_families", getattr(self.instance, "for_all_families", False))
        nurseries = cleaned.get("nurseries")
        if (
            "nurseries" in self.fields
            and not for_all
            and not nurseries
            and "nurseries" not in self.errors
        ):
            self.add_error(
                "nurseries",
                _("Choose the nurseries whose families will see it, or « for all families »."),
            )
        return cleaned


class NewsForm(ProtectedFilesMixin, AudienceFormMixin, forms.ModelForm):
    file_views = {
        "image": "admin:content_news_image",
        "attachment": "admin:content_news_attachment",
    }

    class Meta:
        model = News
        fields = [
            "title",
            "body",
            "is_pinned",
            "image",
            "image_alt",
            "attachment",
            "attachment_label",
            "event_starts_at",
            "event_location",
            "for_all_families",
            "nurseries",
            "publish_at",
            "unpublish_at",
        ]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        return checked_image(image) if _is_new_upload(image) else image

    def clean_attachment(self):
        attachment = self.cleaned_data.get("attachment")
        return checked_pdf(attachment) if _is_new_upload(attachment) else attachment

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("image") and not cleaned.get("image_alt", "").strip():
            self.add_error(
                "image_alt",
                _(
                    "Describe the picture for families who cannot see it "
                    "(e.g. « Les enfants au jardin »)."
                ),
            )
        publish_at, unpublish_at = cleaned.get("publish_at"), cleaned.get("unpublish_at")
        if publish_at and unpublish_at and unpublish_at <= publish_at:
            self.add_error("unpublish_at", _("The end of publication must come after its start."))
        return cleaned


class PracticalPageForm(AudienceFormMixin, forms.ModelForm):
    class Meta:
        model = PracticalPage
        fields = [
            "title",
            "slug",
            "body",
            "position",
            "for_all_families",
            "nurseries",
            "is_published",
        ]


class MenuForm(ProtectedFilesMixin, forms.ModelForm):
    file_views = {"pdf": "admin:content_menu_pdf"}

    class Meta:
        model = Menu
        fields = ["nursery", "month", "note", "pdf", "publish_at"]
        widgets = {"month": forms.DateInput(attrs={"type": "date"})}

    def clean_month(self):
        month = self.cleaned_data["month"]
        return month.replace(day=1) if month else month

    def clean_pdf(self):
        pdf = self.cleaned_data.get("pdf")
        return checked_pdf(pdf) if _is_new_upload(pdf) else pdf


class AllergensField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=Allergen.choices, required=False, **kwargs)


class MenuDishForm(forms.ModelForm):
    allergens = AllergensField(label=gettext_lazy("allergens"))

    class Meta:
        model = MenuDish
        fields = ["served_on", "course", "name", "allergens"]
        widgets = {"served_on": forms.DateInput(attrs={"type": "date"})}


class MenuDishFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        month = self.instance.month
        if not month:
            return
        first = month.replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        for form in self.forms:
            served_on = (
                form.cleaned_data.get("served_on") if hasattr(form, "cleaned_data") else None
            )
            if (
                served_on
                and not first <= served_on < following
                and not form.cleaned_data.get("DELETE")
            ):
                form.add_error(
                    "served_on", ValidationError(_("This day is not in the menu's month."))
                )


class OfficialDocumentVersionForm(ProtectedFilesMixin, forms.ModelForm):
    """A new version. A saved one is shown but never changed: it is the record of what
    families were given (a correction is a new version)."""

    file_views = {"file": "admin:content_officialdocument_version_file"}

    class Meta:
        model = OfficialDocumentVersion
        fields = ["file", "version_label", "published_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for field in self.fields.values():
                field.disabled = True

    def clean_file(self):
        file = self.cleaned_data.get("file")
        return checked_pdf(file) if _is_new_upload(file) else file


class OfficialDocumentForm(AudienceFormMixin, forms.ModelForm):
    pass
