"""Staff tools outside the model admin, at /gestion/outils/. Every view goes through
``admin.site.admin_view``: staff with a verified second factor, else the staff login."""

from django.contrib import admin
from django.urls import path

from .views import exports, imports, jobs
from .views import requests as family_requests

app_name = "backoffice"

urlpatterns = [
    # The families' requests, as a queue per nursery.
    path("demandes/", admin.site.admin_view(family_requests.request_queue), name="request-queue"),
    path(
        "demandes/<uuid:reference>/",
        admin.site.admin_view(family_requests.request_detail),
        name="request-detail",
    ),
    path(
        "demandes/<uuid:reference>/traiter/",
        admin.site.admin_view(family_requests.request_action),
        name="request-action",
    ),
    path(
        "demandes/<uuid:reference>/fichier/",
        admin.site.admin_view(family_requests.request_attachment),
        name="request-attachment",
    ),
    path("taches/", admin.site.admin_view(jobs.job_list), name="job-list"),
    path("taches/<uuid:reference>/", admin.site.admin_view(jobs.job_detail), name="job-detail"),
    path(
        "taches/<uuid:reference>/fichier/",
        admin.site.admin_view(jobs.job_download),
        name="job-download",
    ),
    path(
        "import-factures/",
        admin.site.admin_view(imports.invoice_import),
        name="invoice-import",
    ),
    path("export/", admin.site.admin_view(exports.accounting_export), name="accounting-export"),
]
