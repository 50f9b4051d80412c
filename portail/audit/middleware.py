"""Staff reads and changes of household data in the back office, recorded from the admin's
own URLs and change log, so that every model registered later is covered too."""

import logging
from contextvars import ContextVar

from django.contrib import admin
from django.contrib.admin.utils import unquote

from .models import AuditAction
from .services import (
    find_household_record,
    household_of,
    is_household_data,
    record_event,
    target_reference,
)

logger = logging.getLogger(__name__)

STAFF_AREA = "/gestion/"
# The request being served, for the receivers of admin change log entries (portail/audit/
# receivers.py), which Django calls without it.
current_request: ContextVar = ContextVar("audit_current_request", default=None)


def _model_for(url_name: str, suffix: str):
    for model in admin.site._registry:
        if url_name == f"{model._meta.app_label}_{model._meta.model_name}_{suffix}":
            return model
    return None


class AdminAuditMiddleware:
    """In the back office: a successful GET of a record's page is a read; a confirmed bulk
    deletion (which Django logs without signals) is one deletion per record. Additions,
    changes and single deletions come from Django's change log (receivers.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(STAFF_AREA):
            return self.get_response(request)
        token = current_request.set(request)
        try:
            pending = self._bulk_deletion(request)
            response = self.get_response(request)
            if _is_staff(request):
                if pending and response.status_code == 302:
                    for model, reference, household in pending:
                        record_event(
                            action=AuditAction.DELETE,
                            request=request,
                            target_type=model._meta.label_lower,
                            target_id=reference,
                            household=household,
                        )
                elif response.status_code == 200 and _is_attachment(response):
                    self._record_download(request)
                elif request.method == "GET" and response.status_code == 200:
                    self._record_read(request)
            return response
        finally:
            current_request.reset(token)

    @staticmethod
    def _record_read(request):
        match = request.resolver_match
        if match is None or not match.url_name or getattr(request, "audit_recorded", False):
            return
        if match.namespace != "admin":
            # The staff tools' pages (/gestion/outils/…) name their record by reference.
            obj = find_household_record(match.kwargs.get("reference"))
            if obj is not None:
                record_event(action=AuditAction.VIEW, request=request, target=obj)
            return
        if not match.url_name.endswith("_change"):
            return
        model = _model_for(match.url_name, "change")
        if model is None or not is_household_data(model):
            return
        obj = model._default_manager.filter(pk=unquote(match.kwargs.get("object_id", ""))).first()
        if obj is not None:
            record_event(action=AuditAction.VIEW, request=request, target=obj)

    @staticmethod
    def _record_download(request):
        """Any file staff take out of the back office (CSV, SEPA file, PDF, an admin action's
        export) that its view did not record itself; an admin page's file is tied to its
        record (and so to the household)."""
        if getattr(request, "audit_recorded", False):
            return
        match = request.resolver_match
        view_name = match.view_name if match else ""
        kwargs = match.kwargs if match else {}
        target = None
        if match is not None and match.namespace == "admin" and "object_id" in kwargs:
            for model in admin.site._registry:
                if (match.url_name or "").startswith(
                    f"{model._meta.app_label}_{model._meta.model_name}_"
                ):
                    target = model._default_manager.filter(pk=unquote(kwargs["object_id"])).first()
                    break
        record_event(
            action=AuditAction.DOWNLOAD,
            request=request,
            target=target,
            target_type="" if target is not None else view_name[:100],
            target_id="" if target is not None else str(kwargs.get("reference") or ""),
            details={"view": view_name},
        )

    @staticmethod
    def _bulk_deletion(request):
        """The records a confirmed « delete selected » is about to delete, with their
        household (unknown once they are gone)."""
        if request.method != "POST" or request.POST.get("action") != "delete_selected":
            return []
        if not request.POST.get("post") or not _is_staff(request):
            return []
        from django.urls import Resolver404, resolve

        try:
            match = resolve(request.path_info)
        except Resolver404:
            return []
        model = _model_for(match.url_name or "", "changelist")
        if model is None or not is_household_data(model):
            return []
        ids = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        rows = model._default_manager.filter(pk__in=ids)
        return [(model, target_reference(row), household_of(row)) for row in rows]


def _is_attachment(response) -> bool:
    return "attachment" in response.headers.get("Content-Disposition", "")


def _is_staff(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)
