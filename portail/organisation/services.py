"""Every write about the town's settings: CGU versions."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import TermsVersion


class TermsError(Exception):
    """A CGU change that is not allowed; the message is shown to staff as is."""


@transaction.atomic
def draft_terms_version(*, text: str) -> TermsVersion:
    """A new, unpublished version of the CGU, numbered after the last one."""
    # Two drafts at the same instant would collide on the unique number, not share it.
    last = TermsVersion.objects.aggregate(last=Max("version"))["last"]
    return TermsVersion.objects.create(version=(last or 0) + 1, text=text)


@transaction.atomic
def publish_terms(*, terms: TermsVersion) -> TermsVersion:
    """Publish a draft: from now on it is the CGU every family accepts at their next login.
    A published version never changes again; publishing twice is a no-op."""
    terms = TermsVersion.objects.select_for_update().get(pk=terms.pk)
    if terms.published_at is not None:
        return terms
    if not terms.text.strip():
        raise TermsError(_("The text of the terms of use is empty: write it before publishing."))
    terms.published_at = timezone.now()
    terms.save(update_fields=["published_at"])
    return terms
