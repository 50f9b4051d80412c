"""The simulator's pages: the SOAP endpoint, its WSDL, PayFiP's payment page and a control
page for the demo. None needs a login: PayFiP is another site."""

import logging
from decimal import Decimal

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import clock, services, soap
from .models import SimulatedPayment, SimulatorState

logger = logging.getLogger(__name__)

SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"
PAGE_FAULT_STATUS = {"P1": 404, "P3": 409, "P4": 410}
LATEST_COUNT = 50


def _soap(content: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(content, status=status, content_type=SOAP_CONTENT_TYPE)


def _answer(operation: str, fields: dict) -> list[tuple[str, str]]:
    if operation == "creerPaiementSecurise":
        payment = services.create_payment(**fields)
        return [("idOp", payment.idop)]
    if operation == "recupererDetailClient":
        detail = services.client_detail(fields.get("numCli", ""))
        return [(name, detail[name]) for name in ("libelleN1", "libelleN2", "libelleN3", "numcli")]
    payment = services.payment_detail(fields.get("idOp", ""))
    return [
        ("dattrans", payment.dattrans),
        ("exer", payment.exer),
        ("heurtrans", payment.heurtrans),
        ("idOp", payment.idop),
        ("mel", payment.mel),
        ("montant", payment.montant),
        ("numauto", payment.numauto),
        ("numcli", payment.numcli),
        ("objet", payment.objet),
        ("refdet", payment.refdet),
        ("resultrans", payment.result),
        ("saisie", payment.saisie),
    ]


@login_not_required
@csrf_exempt
def soap_endpoint(request):
    """POST: one SOAP call. GET ``?wsdl``: the WSDL, like the real address."""
    if request.method == "GET" and "wsdl" in {key.lower() for key in request.GET}:
        return wsdl(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        operation, fields = soap.parse_request(request.body)
    except soap.BadRequest as error:
        return _soap(soap.render_client_fault(str(error)), status=500)
    try:
        answer = _answer(operation, fields)
    except services.Fault as fault:
        logger.info("PayFiP simulator: %s answered fault %s", operation, fault.code)
        content = soap.render_fault(kind=fault.kind, code=fault.code, descriptif=fault.descriptif)
        return _soap(content, status=500)
    return _soap(soap.render_response(operation, answer))


@login_not_required
def wsdl(request):
    address = request.build_absolute_uri(reverse("payfip_simulator:soap"))
    return HttpResponse(soap.wsdl(soap_address=address), content_type=SOAP_CONTENT_TYPE)


@login_not_required
def schema(request, name):
    content = soap.schema(name)
    if content is None:
        raise Http404
    return HttpResponse(content, content_type=SOAP_CONTENT_TYPE)


@login_not_required
def payment_page(request):
    """PayFiP's page: the family pays, is refused or gives up; the portal is notified, then
    the browser goes back to ``urlredirect?idop=…``."""
    idop = request.GET.get("idop", "")
    try:
        payment = services.open_payment(idop)
    except services.Fault as fault:
        return _page_fault(request, idop, fault)
    if request.method == "POST":
        result = request.POST.get("result", "")
        if result not in SimulatedPayment.Result.values:
            return _page(request, payment, status=400)
        try:
            payment = services.record_result(idop=idop, result=result)
        except services.Fault as fault:
            return _page_fault(request, idop, fault)
        services.notify(payment)
        return redirect(services.return_url(payment))
    return _page(request, payment)


def _page(request, payment, status=200):
    return render(
        request,
        "payfip_simulator/payment_page.html",
        {
            "payment": payment,
            "amount": Decimal(payment.montant) / 100,
            "expires_at": services.expires_at(payment),
            "choices": SimulatedPayment.Result.choices,
        },
        status=status,
    )


def _page_fault(request, idop, fault):
    payment = SimulatedPayment.objects.filter(idop=idop).first() if idop else None
    return render(
        request,
        "payfip_simulator/payment_error.html",
        {
            "fault": fault,
            "return_url": services.return_url(payment) if payment else "",
        },
        status=PAGE_FAULT_STATUS.get(fault.code, 400),
    )


@login_not_required
def control(request):
    """For the demo and manual tests: recent idops, the clock and the switches."""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "move-clock":
            services.move_clock(minutes=_minutes(request.POST.get("minutes")))
        elif action == "reset-clock":
            services.reset_clock()
        elif action == "purge":
            services.purge_unfinished()
        elif action == "switches":
            failure = request.POST.get("creation_failure", "")
            field = request.POST.get("notification_field", "")
            services.update_state(
                drop_notifications=request.POST.get("drop_notifications") == "on",
                creation_failure=(
                    failure if failure in SimulatorState.CreationFailure.values else ""
                ),
                notification_field=(
                    field
                    if field in SimulatorState.NotificationField.values
                    else SimulatorState.NotificationField.ID_OP
                ),
            )
        return redirect("payfip_simulator:control")
    return render(
        request,
        "payfip_simulator/control.html",
        {
            "now": clock.now(),
            "state": services.get_state(),
            "payments": SimulatedPayment.objects.all()[:LATEST_COUNT],
            "failures": SimulatorState.CreationFailure.choices,
            "fields": SimulatorState.NotificationField.choices,
        },
    )


def _minutes(raw) -> int:
    try:
        return max(-100_000, min(100_000, int(raw)))
    except (TypeError, ValueError):
        return 0
