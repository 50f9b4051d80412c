"""« PAYER MA FACTURE EN LIGNE »: the confirmation step, starting the payment (PayFiP, or
the régie's SystemPay/Paybox by signed form), the return page that waits for the result, and
the services' notifications (the only views without CSRF nor login: the services' servers
call them; PayFiP's is only a trigger, the others' count only when their signature verifies)."""

import logging
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portail.billing.models import Invoice
from portail.direct_debits.coverage import card_payment_refusal
from portail.payments import payfip, services
from portail.payments.models import OnlinePayment
from portail.payments.templatetags.online_payments import running_online_payment as running_attempt

from ..decorators import family_required

logger = logging.getLogger(__name__)

# The return page asks PayFiP at most this often while it reloads itself.
CHECK_EVERY_SECONDS = 2
AUTO_REFRESH_PARAMETER = "actualisation"
IDOP_MAX_LENGTH = 64


def _visible_attempts(user):
    return OnlinePayment.objects.filter(invoice__in=Invoice.objects.visible_to(user).values("pk"))


@require_http_methods(["GET", "POST"])
@family_required
def pay_invoice(request, reference):
    """GET: the confirmation step (RGAA 11.12: invoice, amount and service shown before
    anything starts). POST: the attempt starts and the family goes to the service."""
    invoice = get_object_or_404(
        Invoice.objects.visible_to(request.user).select_related("regie", "kind"),
        reference=reference,
    )
    # Paid by direct debit (portail/direct_debits): no card payment unless the régie allows it.
    refusal = card_payment_refusal(invoice)
    if refusal:
        messages.error(request, refusal)
        return redirect("portal:invoice-detail", reference=invoice.reference)
    if request.method == "GET":
        regie = invoice.regie
        if not (invoice.is_payable and regie.has_online_payment):
            return redirect("portal:invoice-detail", reference=invoice.reference)
        return render(
            request,
            "portal/payments/confirm.html",
            {
                "invoice": invoice,
                "provider_name": _provider_name(regie),
                "running": running_attempt(invoice),
            },
        )
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
    if attempt.payment_form is not None:
        # Redirect-form services: the browser posts the signed form (by itself with
        # JavaScript, with the button without).
        return render(
            request,
            "portal/payments/redirect_form.html",
            {
                "attempt": attempt,
                "form": attempt.payment_form,
                "provider_name": _provider_name(invoice.regie),
            },
        )
    # Same window, no pop-up: the family goes to PayFiP and comes back to the return page.
    return redirect(attempt.payment_url)


def _provider_name(regie) -> str:
    if regie.online_provider == payfip.PAYFIP:
        return "PayFiP"
    return regie.get_online_provider_display()


@family_required
def online_payment_return(request, reference):
    attempt = get_object_or_404(
        _visible_attempts(request.user).select_related("regie", "invoice__kind", "payment"),
        reference=reference,
    )
    # « Arrêter la mise à jour automatique » (RGAA 13.1): the family may stop the page's
    # reloading; that parameter is ours, not the provider's.
    auto_refresh = request.GET.get(AUTO_REFRESH_PARAMETER) != "non"
    if attempt.provider != payfip.PAYFIP and set(request.GET) - {AUTO_REFRESH_PARAMETER}:
        # SystemPay brings the signed result back with the family: applied when it verifies.
        services.handle_provider_response(
            reference=attempt.reference, query_string=request.META.get("QUERY_STRING", "")
        )
        return redirect("portal:online-payment-return", reference=attempt.reference)
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
        if attempt.is_running
        and attempt.idop
        and attempt.provider == payfip.PAYFIP
        and attempt.created_at > page_open_since
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
            "provider_name": _provider_name(attempt.regie),
            "auto_refresh": auto_refresh,
            "auto_refresh_parameter": AUTO_REFRESH_PARAMETER,
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
def payment_notification(request, reference):
    """A payment service's server tells us that an attempt changed. PayFiP sends only its
    idop: a trigger, after which we ask PayFiP for the result. SystemPay and Paybox send the
    signed result (form-encoded body, or query string), which counts only when its signature
    verifies. Unknown attempts, unsigned or foreign results: answered, logged, nothing
    changes. The only view exempt from CSRF: its callers are servers, with no session."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    provider = (
        OnlinePayment.objects.filter(reference=reference).values_list("provider", flat=True).first()
    )
    try:
        if provider is None or provider == payfip.PAYFIP:
            services.handle_payfip_notification(reference=reference, idop=_idop(request))
        else:
            if request.method == "POST":
                query_string = request.body.decode("utf-8", errors="replace")
            else:
                query_string = request.META.get("QUERY_STRING", "")
            services.handle_provider_response(reference=reference, query_string=query_string)
    except Exception:
        # The reconciliation pass will ask the service again; it may retry meanwhile.
        logger.exception("Payment notification for %s failed", reference)
        return HttpResponse("KO", status=503, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
