"""Every route of the URL resolver (portal, /gestion/ admin, /gestion/outils/), walked at
test time so that routes added later are covered without editing the matrices."""

import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# A stand-in for PayFiP, mounted only for the demo and the tests (never in production).
NOT_PRODUCTION_NAMESPACES = {"payfip_simulator"}
KWARG = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the pattern for an unnamed one
    pattern: str  # without the leading slash
    callback: object
    converters: tuple  # ((kwarg, converter), ...) with converter in uuid/int/slug/string/path

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    @property
    def area(self) -> str:
        """portal, admin (/gestion/), backoffice (/gestion/outils/) or other."""
        if self.pattern.startswith("gestion/outils/"):
            return "backoffice"
        if self.pattern.startswith("gestion/"):
            return "admin"
        if self.namespace == "portal":
            return "portal"
        return "other"

    @property
    def kwargs(self) -> tuple[str, ...]:
        return tuple(key for key, _converter in self.converters)

    def converter(self, key: str) -> str:
        return dict(self.converters)[key]

    def url(self, **values) -> str:
        """The path with ``values`` for its kwargs; a harmless dummy for any missing one."""

        def value(match):
            converter, key = match.group(1) or "str", match.group(2)
            return str(values[key]) if key in values else dummy(converter)

        return "/" + KWARG.sub(value, self.pattern)

    @property
    def public(self) -> bool:
        """Declared open to anonymous visitors (``login_not_required``)."""
        return getattr(self.callback, "login_required", True) is False


def dummy(converter: str) -> str:
    return {"uuid": str(uuid.uuid4()), "int": "987654", "slug": "inconnu"}.get(converter, "inconnu")


def _converter_name(converter) -> str:
    return type(converter).__name__.replace("Converter", "").lower().replace("str", "string")


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            converters = tuple(
                (key, _converter_name(conv)) for key, conv in entry.pattern.converters.items()
            )
            yield Route(name or pattern, pattern, entry.callback, converters)


def production_routes() -> list[Route]:
    """Every route a production deployment serves (regex-only patterns, such as the admin's
    catch-all, are left out: they have no reversible path)."""
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if "^" not in route.pattern
        and "(?" not in route.pattern
        and route.namespace not in NOT_PRODUCTION_NAMESPACES
    ]


def is_login_page(location: str) -> bool:
    return "/connexion/" in location or "/gestion/login/" in location
