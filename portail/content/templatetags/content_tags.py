import re

from django import template
from django.utils.safestring import mark_safe

from portail.content import rich_text as rich_text_module

register = template.Library()


@register.filter
def rich_text(value):
    """Staff's rich text, sanitised again as it is rendered (see ``rich_text.render``)."""
    return rich_text_module.render(value or "")


_HEADING = re.compile(r"<(/?)h([23])>")


@register.filter
def rich_text_under_h2(value):
    """The rich text of an item whose own title is a level-2 heading: its headings go one
    level down (h2 → h3, h3 → h4) so the page's outline stays in order. The sanitised text has
    only bare ``<h2>``/``<h3>`` tags, so the replacement cannot produce anything else."""
    shifted = _HEADING.sub(
        lambda match: f"<{match.group(1)}h{int(match.group(2)) + 1}>",
        rich_text_module.sanitise(value or ""),
    )
    return mark_safe(shifted)  # noqa: S308  # nosec B308 B703 — sanitised text with heading levels renumbered


@register.filter
def get_item(mapping, key):
    return mapping.get(key)
