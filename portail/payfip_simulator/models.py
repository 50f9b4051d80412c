from django.db import models
from django.utils.translation import gettext_lazy as _


class SimulatedPayment(models.Model):
    """One idop given by the simulated ``creerPaiementSecurise``, and what became of it."""

    class Result(models.TextChoices):
        PAID_BY_CARD = "P", _("Paid by card")
        PAID_BY_DIRECT_DEBIT = "V", _("Paid by direct debit")
        REFUSED_CARD = "R", _("Card refused")
        REFUSED_DIRECT_DEBIT = "Z", _("Direct debit refused")
        ABANDONED = "A", _("Abandoned")

    idop = models.CharField(max_length=36, unique=True)
    # The fields of the creation request, kept as PayFiP echoes them (strings, cents).
    numcli = models.CharField(max_length=6)
    exer = models.CharField(max_length=4)
    refdet = models.CharField(max_length=30)
    montant = models.CharField(max_length=12)
    mel = models.CharField(max_length=80)
    objet = models.CharField(max_length=100, blank=True)
    saisie = models.CharField(max_length=1)
    urlnotif = models.CharField(max_length=1000)
    urlredirect = models.CharField(max_length=1000)
    # Simulator clock, not the wall clock (see clock.py).
    created_at = models.DateTimeField()
    result = models.CharField(max_length=1, choices=Result.choices, blank=True)
    numauto = models.CharField(max_length=20, blank=True)
    dattrans = models.CharField(max_length=8, blank=True)
    heurtrans = models.CharField(max_length=4, blank=True)
    # Set by the « nightly purge » button; an unfinished idop is also purged lazily (services).
    purged_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    # What the portal answered to the notification: an HTTP status, "dropped" or the error.
    notification_outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("simulated PayFiP payment")
        verbose_name_plural = _("simulated PayFiP payments")

    def __str__(self):
        return self.idop


class SimulatorState(models.Model):
    """The simulator's switches, one row (pk=1) shared by every process and thread, so a test
    can move them while a live server answers."""

    class CreationFailure(models.TextChoices):
        NONE = "", _("No failure")
        FAULT = "fault", _("SOAP fault (service unavailable)")
        HANG = "hang", _("No answer (hang)")

    class NotificationField(models.TextChoices):
        ID_OP = "idOp", "idOp"
        IDOP = "idop", "idop"

    clock_offset_seconds = models.BigIntegerField(default=0)
    drop_notifications = models.BooleanField(default=False)
    creation_failure = models.CharField(
        max_length=5, choices=CreationFailure.choices, blank=True, default=""
    )
    hang_seconds = models.PositiveIntegerField(default=30)
    notification_field = models.CharField(
        max_length=4, choices=NotificationField.choices, default=NotificationField.ID_OP
    )

    class Meta:
        verbose_name = _("PayFiP simulator state")

    def __str__(self):
        return "PayFiP simulator"
