"""« PAYER MA FACTURE EN LIGNE »: starting a PayFiP payment, the return page that waits for
the result, and PayFiP's notification (the only view without CSRF nor login: PayFiP's
server calls it, and nothing in it is trusted)."""

import logging
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portail.billing.models import Invoice
from portail.payments import payfip, services
from portail.payments.models import OnlinePayment

from ..decorators import family_required

logger = logging.getLogger(__name__)

# The return page asks PayFiP at most this often while it reloads itself.
CHECK_EVERY_SECONDS = 2
IDOP_MAX_LENGTH = 64


def _visible_attempts(user):
    return OnlinePayment.objects.filter(invoice__in=Invoice.objects.visible_to(user).values("pk"))


@require_POST
@family_required
def pay_invoice(request, reference):
    invoice = get_object_or_404(Invoice.objects.visible_to(request.user), reference=reference)
    try:
        attempt = services.start_online_payment(invoice=invoice, user=request.user)
    except services.OnlinePaymentInProgress as error:
        messages.warning(request, str(error))
        if error.online_payment is not None:
            return redirect(
                "portal:online-payment-return", reference=error.online_payment.reference
            )
        return redirect("portal:invoice-detail", reference=invoice.reference)
    except services.OnlinePaymentError as error:
        messages.error(request, str(error))
        return redirect("portal:invoice-detail", reference=invoice.reference)
    # Same window, no pop-up: the family goes to PayFiP and comes back to the return page.
    return redirect(attempt.payment_url)


@family_required
def online_payment_return(request, reference):
    attempt = get_object_or_404(
        _visible_attempts(request.user).select_related("regie", "invoice__kind", "payment"),
        reference=reference,
    )
    recently = timezone.now() - timedelta(seconds=CHECK_EVERY_SECONDS)
    if (
        attempt.is_running
        and attempt.idop
        and (attempt.checked_at is None or attempt.checked_at < recently)
    ):
        services.refresh_online_payment(online_payment=attempt)
        attempt.refresh_from_db()
    invoice = attempt.invoice
    invoice.refresh_from_db()
    # A family that left PayFiP's page without paying (closed tab, back button) may go back
    # to it while its idop is open, rather than wait for the attempt to lapse.
    page_open_since = timezone.now() - timedelta(minutes=payfip.IDOP_LIFETIME_MINUTES)
    resume_url = (
        payfip.payment_page_url(attempt.idop)
        if attempt.is_running and attempt.idop and attempt.created_at > page_open_since
        else ""
    )
    return render(
        request,
        "portal/payments/online_payment.html",
        {
            "attempt": attempt,
            "invoice": invoice,
            "payment": attempt.payment,
            "resume_url": resume_url,
        },
    )


def _idop(request) -> str:
    """``idop`` or ``idOp``, from the body or the query string (PayFiP's spelling varies)."""
    for params in (request.POST, request.GET):
        for key, value in params.items():
            if key.lower() == "idop" and value:
                return value.strip()[:IDOP_MAX_LENGTH]
    return ""


@csrf_exempt
@login_not_required
def payfip_notification(request, reference):
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    try:
        services.handle_payfip_notification(reference=reference, idop=_idop(request))
    except Exception:
        # The reconciliation pass will ask PayFiP again; PayFiP may retry meanwhile.
        logger.exception("PayFiP notification for %s failed", reference)
        return HttpResponse("KO", status=503, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
