"""The household's history: who changed what and when, written by the services that change
household data (an accepted request, a staff edit)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeAction(models.TextChoices):
    CHANGED = "changed", _("changed")
    ADDED = "added", _("added")
    REMOVED = "removed", _("removed")
    HEALTH_UPDATED = "health", _("health information updated")


class ChangedObject(models.TextChoices):
    HOUSEHOLD = "household", _("household")
    GUARDIAN = "guardian", _("guardian")
    CONTACT = "contact", _("person of the entourage")
    CHILD = "child", _("child")


class HouseholdChangeQuerySet(models.QuerySet):
    def for_household(self, household):
        return self.filter(household=household)

    def for_user(self, user):
        return self.filter(household__guardians__user=user)

    def latest_first(self):
        return self.order_by("-changed_at", "-pk")


class HouseholdChange(models.Model):
    """One changed field (old → new), or one added or removed person. Health information is
    never copied here: only the fact that it was updated."""

    household = models.ForeignKey(
        "households.Household",
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("household"),
    )
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    request = models.ForeignKey(
        "households.Request",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("request"),
    )
    action = models.CharField(_("action"), max_length=10, choices=ChangeAction.choices)
    object_type = models.CharField(_("what"), max_length=10, choices=ChangedObject.choices)
    object_label = models.CharField(_("who"), max_length=200)
    field_name = models.CharField(_("field"), max_length=40, blank=True)
    old_value = models.CharField(_("old value"), max_length=255, blank=True)
    new_value = models.CharField(_("new value"), max_length=255, blank=True)

    objects = HouseholdChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("household change")
        verbose_name_plural = _("household history")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["household", "changed_at"])]
        constraints = [
            # Health values never reach the history, whatever a caller passes.
            models.CheckConstraint(
                condition=~models.Q(action="health") | models.Q(old_value="", new_value=""),
                name="household_change_no_health_values",
            )
        ]

    def __str__(self):
        return f"{self.changed_at:%d/%m/%Y %H:%M} {self.object_label} {self.field_name}"

    @property
    def field_label(self) -> str:
        """The field's name as the models call it, in the reader's language."""
        from . import household

        models_by_type = {
            ChangedObject.HOUSEHOLD: household.Household,
            ChangedObject.GUARDIAN: household.Guardian,
            ChangedObject.CONTACT: household.Contact,
            ChangedObject.CHILD: household.Child,
        }
        if not self.field_name:
            return ""
        try:
            field = models_by_type[self.object_type]._meta.get_field(self.field_name)
        except Exception:  # a field since removed: show its technical name
            return self.field_name
        return str(field.verbose_name)
