"""Cross-cutting records of the audit trail: logins, failed logins, logouts (Django's auth
signals) and the back office's changes (Django's admin change log). Connected in apps.py."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save

from .middleware import current_request
from .models import AuditAction
from .services import changed_field_names, is_household_data, record_event

ADMIN_ACTIONS = {
    ADDITION: AuditAction.ADD,
    CHANGE: AuditAction.CHANGE,
    DELETION: AuditAction.DELETE,
}


def on_login(sender, request, user, **kwargs):
    record_event(action=AuditAction.LOGIN, request=request, actor=user)


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(action=AuditAction.LOGOUT, request=request, actor=user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    """The account, when the identifier names one; never what was typed (a password typed in
    the identifier field must not end up in the trail)."""
    from portail.accounts.backends import find_user

    user = find_user((credentials or {}).get("username") or "")
    record_event(
        action=AuditAction.LOGIN_FAILED,
        request=request,
        actor=user,
        details={"known_account": user is not None},
    )


def on_admin_log_entry(sender, instance: LogEntry, created, **kwargs):
    if not created or instance.action_flag not in ADMIN_ACTIONS:
        return
    model = instance.content_type.model_class() if instance.content_type_id else None
    if model is None or not is_household_data(model):
        return
    request = current_request.get()
    obj = model._default_manager.filter(pk=instance.object_id).first()
    fields = changed_field_names(instance.change_message)
    record_event(
        action=ADMIN_ACTIONS[instance.action_flag],
        request=request,
        actor=instance.user if request is None else None,
        target=obj,
        target_type=model._meta.label_lower,
        target_id="" if obj is not None else instance.object_id,
        details={"fields": fields} if fields else None,
    )


def connect():
    user_logged_in.connect(on_login, dispatch_uid="audit_login")
    user_logged_out.connect(on_logout, dispatch_uid="audit_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    post_save.connect(on_admin_log_entry, sender=LogEntry, dispatch_uid="audit_admin_log")
