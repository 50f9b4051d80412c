from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Nursery(models.Model):
    """A structure d'accueil (EAJE): the crèche a child attends."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(
        _("e-mail"), help_text=_("Families write here for any change to their file.")
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    director = models.CharField(_("director"), max_length=120, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="nurseries",
        verbose_name=_("staff"),
        help_text=_("Staff members who manage this nursery's households."),
    )

    class Meta:
        verbose_name = _("nursery")
        verbose_name_plural = _("nurseries")
        ordering = ["name"]

    def __str__(self):
        return self.name
