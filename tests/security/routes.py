"""Every route of the URL resolver, so that the matrices cover pages added later too."""

import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

SIMULATOR_NAMESPACE = "payfip_simulator"  # a stand-in for PayFiP, never mounted in production


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or "" for an unnamed pattern
    pattern: str
    callback: object
    converters: tuple  # (kwarg name, converter class name)

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    @property
    def has_kwargs(self) -> bool:
        return bool(self.converters)

    def path(self, **values) -> str:
        """The URL with the given kwarg values, dummy ones for the others."""

        def value(match):
            converter, key = match.group(1) or "str", match.group(2)
            return str(values.get(key, _dummy(converter)))

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, self.pattern)


def _dummy(converter: str):
    return {"uuid": uuid.uuid4(), "int": 987654, "slug": "inconnu", "path": "inconnu"}.get(
        converter, "inconnu"
    )


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            converters = tuple(
                (key, type(conv).__name__.replace("Converter", "").lower())
                for key, conv in entry.pattern.converters.items()
            )
            yield Route(name, pattern, entry.callback, converters)


def all_routes() -> list[Route]:
    return [route for route in _walk(get_resolver().url_patterns) if "^" not in route.pattern]


def portal_routes() -> list[Route]:
    return [route for route in all_routes() if route.namespace == "portal"]


def admin_model_pages() -> list[str]:
    """The list and add pages of every model registered in the back office."""
    pages = []
    for model in admin.site._registry:
        base = f"/gestion/{model._meta.app_label}/{model._meta.model_name}/"
        pages += [base, base + "add/"]
    return pages


def is_production_route(route: Route) -> bool:
    return route.namespace != SIMULATOR_NAMESPACE and settings.ROOT_URLCONF == "config.urls"
