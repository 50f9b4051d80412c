from django.urls import path, re_path

from . import views

app_name = "payfip_simulator"

urlpatterns = [
    path("", views.control, name="control"),
    path("ws/", views.soap_endpoint, name="soap"),
    path("ws.wsdl", views.wsdl, name="wsdl"),
    # The real service's paths, so that only the host part of the official URLs changes.
    path("tpa/services/securite", views.soap_endpoint, name="soap-official-path"),
    path("tpa/paiementws.web", views.payment_page, name="payment-page"),
    re_path(
        r"^(?:tpa/services/)?(?P<name>PaiementSecuriseService_schema[123]\.xsd)$",
        views.schema,
        name="schema",
    ),
]
