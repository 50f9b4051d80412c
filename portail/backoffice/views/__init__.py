"""Staff pages that are not model admin pages: invoice import, accounting export, background
jobs. Mounted at /gestion/outils/ (portail/backoffice/urls.py), each view wrapped in
``admin.site.admin_view``: staff only, with a verified second factor, like the admin."""

from django.contrib import admin


def page_context(request, **context) -> dict:
    """What the admin's frame needs (site header, sidebar, user tools), plus the page's own."""
    return {**admin.site.each_context(request), **context}
