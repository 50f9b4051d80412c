from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from portail.lib.health import health_view

urlpatterns = [
    # The development outbox: always mounted, but its views answer 404 unless DEBUG is on.
    path("dev/", include("portail.notifications.urls")),
    path("gestion/outils/", include("portail.backoffice.urls")),
    path("gestion/", admin.site.urls),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("sante/", health_view, name="health"),  # load balancers and monitoring
]
if settings.PAYFIP_SIMULATOR_ENABLED:
    # A stand-in for PayFiP, for the demo and the tests: never in production (see its docstring).
    urlpatterns.append(path("payfip-simulateur/", include("portail.payfip_simulator.urls")))
urlpatterns.append(path("", include("portail.portal.urls")))
