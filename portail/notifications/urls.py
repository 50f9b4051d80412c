"""The development outbox (see views.py): mounted at /dev/, answering only when DEBUG is on."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("outbox/", views.outbox_list, name="outbox-list"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox-detail"),
    path(
        "outbox/<int:pk>/attachments/<int:attachment_pk>/",
        views.outbox_attachment,
        name="outbox-attachment",
    ),
]
