"""Safe rich text for what staff write (news, practical pages): the only importer of nh3.

Staff type limited HTML; what is stored and what is rendered is only ever the output of
``sanitise``: paragraphs, bold, italics, lists, level-2 and level-3 headings and links to
http(s)/mailto/tel addresses (which open with ``rel="noopener noreferrer"``). Everything else —
scripts, event handlers, styles, iframes, images, forms, ``javascript:`` or ``data:`` links —
is removed, its text kept when it is harmless."""

import nh3
from django.db import models
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Removed with their content: what they hold is code or styling, never text to read.
REMOVED_WITH_CONTENT = {
    "script",
    "style",
    "template",
    "noscript",
    "iframe",
    "object",
    "svg",
    "math",
}


def sanitise(value: str) -> str:
    """The staff's text reduced to the allowed tags, attributes and link schemes."""
    if not value:
        return ""
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def render(value: str) -> SafeString:
    """Sanitised again at rendering: a row written around the model (a raw SQL update, an
    old import) still cannot bring markup the allow-list refuses."""
    return mark_safe(sanitise(value))  # noqa: S308  # nosec B308 B703 — nh3's output is the allow-list only


class RichTextField(models.TextField):
    """A text column that only ever stores sanitised HTML, whoever writes it (admin form,
    service, demo data, shell)."""

    def pre_save(self, model_instance, add):
        value = sanitise(getattr(model_instance, self.attname) or "")
        setattr(model_instance, self.attname, value)
        return value
