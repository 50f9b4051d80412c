"""WEB-06 / ASVS 4.2.1: the IDOR matrix, generated from the URL resolver. Every route whose
path carries an object (uuid ``reference``, ``number``, ``object_id``/``pk``, slug, token…)
× every principal (anonymous, family A, family B, nursery staff of another nursery,
administrator) × every object of a rich family A found through the app registry.

Each route is first filled with every object of A and tried by its entitled principal
(family A on the portal, the administrator in /gestion/): the objects it answers are the
route's objects. Those are then tried by everyone else. Expected: family B gets 404 (never
403 with content), anonymous visitors go to the login page, staff go to the back office on
family pages, nursery staff of another nursery get 403/404/302 in the back office, families
and anonymous visitors get the staff login there. A route that cannot be filled or that no
object of A reaches is listed as "not covered" in the figures, never skipped silently."""

import itertools
import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from portail.payments.models import OnlinePayment

from .figures import write_figures
from .routes import is_login_page, production_routes
from .world import MARKER_A, household_models, objects_of, user_satellite_models

MAX_COMBINATIONS = 40  # per route with several kwargs
OBJECT_KWARGS = {"object_id", "pk", "id"}
DATE_FIELDS = (models.DateField, models.DateTimeField)


def admin_model(route):
    """The registered model whose admin URLs contain this route, if any."""
    for model in admin.site._registry:
        if route.pattern.startswith(f"gestion/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


def pools_for(route, rows_by_model, secrets) -> dict[str, list]:
    """For each kwarg, the values family A's objects give it: (value, source label)."""
    pools = {
        key: [(value, f"secret {key}") for value in secrets.get(key, [])] for key in route.kwargs
    }
    everything = [row for rows in rows_by_model.values() for row in rows]
    for key, converter in route.converters:
        values = []
        for row in everything:
            label = row._meta.label
            if key in OBJECT_KWARGS and route.area != "portal":
                continue  # admin object ids: filled per model below
            if key == "year" and converter == "int":
                values += [
                    (getattr(row, f.name).year, f"{label}.{f.name}")
                    for f in row._meta.concrete_fields
                    if isinstance(f, DATE_FIELDS) and getattr(row, f.name)
                ]
                continue
            try:
                f = row._meta.get_field(key)
            except FieldDoesNotExist:
                continue
            if f.is_relation and (f.many_to_one or f.one_to_one):
                related = getattr(row, key)
                if related is None:
                    continue
                if converter == "uuid" and hasattr(related, "reference"):
                    values.append((related.reference, f"{label}.{key}"))
                elif converter != "uuid":
                    values.append((related.pk, f"{label}.{key}"))
            elif (f.unique or f.primary_key) and getattr(row, f.attname) not in (None, ""):
                # Only identifiers name an object (a ``kind`` slug shared by every
                # household does not).
                values.append((getattr(row, f.attname), label))
        pools[key] = list(dict.fromkeys(pools[key] + values))
    return pools


def fills(route, rows_by_model, secrets) -> tuple[list[tuple[dict, str]], str]:
    """Every way family A's objects fill the route's kwargs, or why there is none."""
    if route.area in {"admin", "backoffice"} and set(route.kwargs) <= OBJECT_KWARGS:
        model = admin_model(route)
        if model is None:
            return [], "not a model's admin page"
        if model not in rows_by_model:
            return [], f"{model._meta.label} is not family data"
        rows = rows_by_model[model]
        if not rows:
            return [], f"family A has no {model._meta.label} (no factory built one)"
        return [({key: row.pk for key in route.kwargs}, model._meta.label) for row in rows], ""
    pools = pools_for(route, rows_by_model, secrets)
    empty = [key for key, values in pools.items() if not values]
    if empty:
        return [], (
            f"no identifier of family A's objects fills {', '.join(empty)} "
            "(not an object of a family, or no factory built one)"
        )
    combos = itertools.islice(itertools.product(*pools.values()), MAX_COMBINATIONS)
    return [
        (
            {key: value for key, (value, _src) in zip(pools, combo, strict=True)},
            "+".join(dict.fromkeys(src for _value, src in combo)),
        )
        for combo in combos
    ], ""


def answer(response) -> str:
    """« 404 », or « 302 → /gestion/login/ » with ids blanked, for the figures."""
    if not 300 <= response.status_code < 400:
        return str(response.status_code)
    path = re.sub(r"[0-9a-f-]{36}|\d+", "<id>", urlsplit(response["Location"]).path)
    return f"{response.status_code} → {path}"


def is_file(response) -> bool:
    content_type = response.headers.get("Content-Type", "")
    return not content_type.startswith(("text/html", "text/plain"))


def shows_family_a(response) -> bool:
    if response.status_code != 200:
        return False
    if is_file(response):
        return True  # a PDF, CSV or upload of family A
    return MARKER_A in response.content.decode(errors="replace")


def reached_by_entitled(response) -> bool:
    if response.status_code == 404 or response.status_code >= 500:
        return False
    return not (300 <= response.status_code < 400 and is_login_page(response["Location"]))


def verdict(route, principal, response) -> tuple[bool, bool]:
    """(leak, unexpected status) for a principal who is not entitled to family A's object."""
    status = response.status_code
    location = response.headers.get("Location", "")
    if route.area == "portal":
        if route.public:  # server-to-server callbacks: open, but must show nothing
            return shows_family_a(response), False
        leak = shows_family_a(response) or (status == 200 and principal == "family B")
        if principal == "family B":
            return leak, status != 404
        if principal == "anonymous":
            return leak, not (status == 302 and is_login_page(location))
        return leak, status not in {302, 403, 404}  # staff: sent to the back office
    # /gestion/ and /gestion/outils/: staff only, by role.
    if principal == "other nursery staff":
        return status == 200, status not in {302, 403, 404}
    leak = status == 200
    return leak, not (status == 302 and is_login_page(location))


@pytest.mark.slow
def test_no_principal_reaches_family_a_objects_on_any_route(rich_family_a, principals, fresh):
    rows_by_model = objects_of(rich_family_a.family)
    routes = production_routes()
    object_routes = [route for route in routes if route.converters]
    covered, not_covered = {}, []
    leaks, unexpected, errors = [], [], []
    requests = 0
    for route in object_routes:
        entitled = "family A" if route.area == "portal" else "administrator"
        candidates, reason = fills(route, rows_by_model, rich_family_a.secrets)
        if not candidates:
            not_covered.append({"route": route.name, "reason": reason})
            continue
        reached, method, statuses_seen, answered = [], "get", set(), {}
        for kwargs, source in candidates:
            # Once an object of a kind answers, the others of that kind are taken without
            # asking (fewer requests); kinds that did not answer keep being tried.
            if answered.get(source):
                reached.append((kwargs, source))
                continue
            response = principals[entitled].get(route.url(**kwargs), secure=True)
            requests += 1
            statuses_seen.add(response.status_code)
            if response.status_code >= 500:
                errors.append(f"{entitled} {route.name} {source}: {response.status_code}")
            elif response.status_code != 405 and reached_by_entitled(response):
                reached.append((kwargs, source))
                answered[source] = True
        if not reached and statuses_seen == {405}:
            # POST only (an action): not tried by its owner (it would act); everyone else
            # POSTs it with every object of family A and must be refused like a GET.
            reached, method = candidates, "post"
        if not reached:
            not_covered.append(
                {
                    "route": route.name,
                    "reason": f"no object of family A answered {entitled} "
                    f"({len(candidates)} tried)",
                }
            )
            continue
        covered[route.name] = {
            "method": method,
            "objects": sorted({src for _kw, src in reached}),
            "statuses": {},
        }
        for principal in principals:
            if principal == entitled:
                continue
            # Capability links (an account link's token) log a browser out: start afresh.
            client = fresh(principal) if route.public else principals[principal]
            statuses = set()
            for kwargs, source in reached:
                response = getattr(client, method)(route.url(**kwargs), secure=True)
                requests += 1
                statuses.add(answer(response))
                where = f"{principal} → {method.upper()} {route.name} [{source}] "
                where += str(response.status_code)
                if response.status_code >= 500:
                    errors.append(where)
                leak, odd = verdict(route, principal, response)
                if leak:
                    leaks.append(where)
                elif odd:
                    unexpected.append(where)
            covered[route.name]["statuses"][principal] = sorted(statuses)

    # Family B also POSTs every family route it was refused by GET, with A's objects (pay,
    # revoke, sign, resend a code…): 404, and nothing written, no payment started.
    before = {model: model._default_manager.count() for model in household_models()}
    attempts_before = OnlinePayment.objects.count()
    posts, post_refusals = 0, []
    for route in object_routes:
        info = covered.get(route.name)
        if route.area != "portal" or route.public or info is None or info["method"] == "post":
            continue
        candidates, _reason = fills(route, rows_by_model, rich_family_a.secrets)
        for kwargs, source in candidates:
            if source not in info["objects"]:
                continue
            response = principals["family B"].post(route.url(**kwargs), {"confirm": "on"})
            posts += 1
            if response.status_code != 404:
                post_refusals.append(
                    f"family B → POST {route.name} [{source}] {response.status_code}"
                )
    written = {
        model._meta.label: (count, model._default_manager.count())
        for model, count in before.items()
        if model._default_manager.count() != count
    }
    payfip_calls = OnlinePayment.objects.count() - attempts_before
    requests += posts

    models_with_data = household_models() + user_satellite_models()
    uncovered_models = sorted(
        model._meta.label for model in models_with_data if not rows_by_model.get(model)
    )
    # route × object × principal triples (each at least one request)
    tried_pairs = sum(len(info["objects"]) * (len(principals) - 1) for info in covered.values())
    write_figures(
        "idor",
        {
            "routes_total": len(routes),
            "routes_with_object_kwargs": len(object_routes),
            "routes_covered": len(covered),
            "routes_covered_post_only": sum(i["method"] == "post" for i in covered.values()),
            "routes_not_covered": len(not_covered),
            "not_covered": not_covered,
            "principals": sorted(principals),
            "objects_of_family_a": sum(len(rows) for rows in rows_by_model.values()),
            "objects_by_model": {
                model._meta.label: len(rows) for model, rows in rows_by_model.items() if rows
            },
            "family_models_total": len(models_with_data),
            "family_models_covered": len(models_with_data) - len(uncovered_models),
            "family_models_not_covered": uncovered_models,
            "family_builder_failures": rich_family_a.failed,
            "route_object_principal_triples": tried_pairs,
            "requests": requests,
            "family_b_posts_with_a_objects": posts,
            "family_b_posts_not_404": len(post_refusals),
            "family_b_post_details": post_refusals,
            "rows_written_by_refused_posts": written,
            "unexpected_payment_attempts": payfip_calls,
            "leaks": len(leaks),
            "leak_details": leaks,
            "unexpected_statuses": len(unexpected),
            "unexpected_details": unexpected,
            "server_errors": len(errors),
            "server_error_details": errors,
            "covered_routes": covered,
        },
    )
    assert rich_family_a.failed == {}, rich_family_a.failed
    assert len(covered) >= 20, "the matrix reached too few routes to prove anything"
    assert leaks == []
    assert errors == []
    assert unexpected == []
    assert post_refusals == [] and written == {} and payfip_calls == 0
