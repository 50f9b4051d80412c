"""The portal's URLs plus ``/bench/hello/`` (benchmarks only, see bench/settings.py)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as portal_urlpatterns


@login_not_required
def hello(request):
    return HttpResponse("Bonjour", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/hello/", hello, name="bench-hello"), *portal_urlpatterns]
