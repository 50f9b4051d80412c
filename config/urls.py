from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("gestion/", admin.site.urls),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("portail.portal.urls")),
]

if settings.OUTBOX_PAGE_ENABLED:
    urlpatterns.insert(0, path("dev/", include("portail.notifications.urls")))
