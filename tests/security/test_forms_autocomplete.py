"""A11Y-03 / RGAA 11.13: every family form field that asks for a personal detail carries the
`autocomplete` purpose browsers and assistive tools use. The forms are found by
introspection, so forms added later are checked too."""

import importlib
import inspect
import pkgutil

from django import forms

import portail.portal.forms

from .figures import record

# Field name (or its ending) → the expected autocomplete token. Names and birth dates are not
# here: the family forms ask them about someone else (a contact, a child), which RGAA 11.13 /
# WCAG 1.3.5 leave out, and a « given-name » purpose would fill in the parent's own name.
PURPOSES = {
    "username": "username",
    "login": "username",
    "email": "email",
    "current_password": "current-password",
    "new_password1": "new-password",
    "new_password2": "new-password",
    "mobile_phone": "tel",
    "home_phone": "tel",
    "work_phone": "tel",
    "phone": "tel",
    "address_line1": "address-line1",
    "address_line2": "address-line2",
    "postal_code": "postal-code",
    "city": "address-level2",
}


def family_forms():
    found = []
    for module_info in pkgutil.iter_modules(portail.portal.forms.__path__):
        module = importlib.import_module(f"portail.portal.forms.{module_info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def expected_token(field_name: str) -> str | None:
    if field_name in PURPOSES:
        return PURPOSES[field_name]
    for suffix, token in PURPOSES.items():
        if field_name.endswith("_" + suffix):
            return token
    return None


def test_personal_fields_of_family_forms_have_an_autocomplete_purpose():
    checked, missing = 0, []
    for form_class in family_forms():
        for name, field in form_class.base_fields.items():
            token = expected_token(name)
            if token is None:
                continue
            checked += 1
            actual = field.widget.attrs.get("autocomplete", "")
            # Sections ("billing tel", "home tel"…) are allowed before the token.
            if actual.split()[-1:] != [token]:
                missing.append(f"{form_class.__module__}.{form_class.__name__}.{name}: {actual!r}")
    record("forms", personal_fields_checked=checked, missing_autocomplete=len(missing))
    assert checked > 0
    assert missing == []
