"""Reading pages as a person does: the text, without tags."""

import html
import re


def text_of(response) -> str:
    """The page's visible text, tags removed, entities decoded, whitespace collapsed."""
    content = response.content.decode()
    assert "INVALID_TEMPLATE_VARIABLE" not in content
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    content = re.sub(r"<[^>]+>", " ", content)
    return " ".join(html.unescape(content).split())


def text_of_fragment(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
