"""Submitting a back-office form as a browser would: every field of the page, then ours."""

import lxml.html


def form_data(response, form_id: str) -> dict:
    """The values a browser would send for the form ``form_id`` (inlines included)."""
    page = lxml.html.fromstring(response.content.decode())
    form = page.get_element_by_id(form_id)
    data = {}
    for element in form.iter("input", "select", "textarea"):
        name = element.get("name")
        if not name:
            continue
        if element.tag == "input":
            kind = (element.get("type") or "text").lower()
            if kind in {"submit", "button", "file", "image"}:
                continue
            if kind in {"checkbox", "radio"}:
                if element.get("checked") is not None:
                    data[name] = element.get("value") or "on"
                continue
            data[name] = element.get("value") or ""
        elif element.tag == "select":
            selected = [
                o.get("value") for o in element.iter("option") if o.get("selected") is not None
            ]
            data[name] = selected[0] if selected else ""
        else:
            data[name] = element.text or ""
    return data
