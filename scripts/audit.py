# The figures table is one row per line, as in SECURITY.md part 4.
# ruff: noqa: E501
"""`make audit`: the security gates of SECURITY.md, and its part 4 figures table.

1. bandit on portail/ and config/ (medium and high severity only);
2. pip-audit of the installed packages against the PyPI vulnerability service (OSV is not
   reachable here); the packages it skips because PyPI's per-release API answers 404 here are
   read from PyPI's project-level list (scripts/pypi_advisories.py), and the row names those
   that neither can audit;
3. the test suites that measure the figures (SUITES): they record them with
   tests/security/figures.py (var/audit/security_figures.json) and tests/trust/figures.py
   (var/audit/trust/*.json). On PostgreSQL when it answers on 127.0.0.1:5432 (or at
   AUDIT_DATABASE_URL): a throwaway database, dropped at the end; otherwise on SQLite, and
   the rows that need PostgreSQL say so. The SQLite profile (20 writers for 60 s) always runs
   on a SQLite file, in a second pytest run;
4. the table of SECURITY.md part 4 with the measured numbers, each row checked against its
   target; printed, and written to var/audit/figures.md and var/audit/figures.json.
   Load figures come from var/bench/scenario.json (`make bench-scenario`, SECURITY.md
   REL-04) and var/bench/load.json (`make bench`), never measured here.

Exit status 0 only when every gate passes (tests green, bandit 0, pip-audit 0 unfixed) and no
measured row misses its target; rows « not measured yet » count as not met in the summary.
Usage: .venv/bin/python scripts/audit.py [--skip-tests | --reuse] [--skip-pip-audit] [--sqlite]
"""

import argparse
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = ROOT / "var" / "audit"
# Written by the tests of an audit run; --skip-tests reads what the last runs left.
AUDIT_FIGURES = OUT / "security_figures.json"
AUDIT_TRUST = OUT / "trust"
LOAD = ROOT / "var" / "bench" / "load.json"
SCENARIO = ROOT / "var" / "bench" / "scenario.json"
RGAA = ROOT / "docs" / "rgaa-audit.md"
SQLITE_PROFILE = "tests/security/test_sqlite_profile.py"
SUITES = [
    "tests/security",
    "tests/trust",
    "tests/audit",
    "tests/accounts",
    "tests/browser",
    "tests/payments",
    "tests/billing/test_constraints.py",
    "tests/billing/test_concurrency.py",
    "tests/production/test_backup_drill.py",
]
# Runs of the concurrency tests (the normal suite runs fewer) and the SQLite profile's length.
AUDIT_ENV = {
    "PAYFIP_CONCURRENCY_RUNS": "200",
    "BILLING_CONCURRENCY_RUNS": "20",
    "SQLITE_PROFILE_SECONDS": "60",
}
NOT_MEASURED = "not measured yet"
MET, NOT_MET, UNMEASURED = "✔ met", "✘ NOT met", "— not measured"


@dataclass
class Row:
    area: str
    figure: str
    measured: str
    target: str
    met: bool | None  # None: not measured (or not completely)


def run(command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (fixed commands of the project's own tools)
        command, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs
    )


# --- Gates ------------------------------------------------------------------------------


def bandit() -> dict:
    result = run([str(BIN / "bandit"), "-r", "portail", "config", "-ll", "-q", "-f", "json"])
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return {"error": (result.stderr or result.stdout).strip()[:300]}
    findings = report.get("results", [])
    return {
        "medium": sum(1 for f in findings if f["issue_severity"] == "MEDIUM"),
        "high": sum(1 for f in findings if f["issue_severity"] == "HIGH"),
        "findings": [
            f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_severity']}"
            for f in findings
        ],
    }


def pypi_json_api_probe(name: str, version: str) -> str:
    """What PyPI's per-release JSON API (the one pip-audit's PyPI service reads) answers."""
    url = f"https://pypi.org/pypi/{name}/{version}/json"
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return f"{url} answers {response.status}"
    except urllib.error.HTTPError as error:
        return f"{url} answers HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"{url} is unreachable ({error})"


NOT_FOUND_ON_PYPI = re.compile(r"not found on PyPI.*\((?P<version>[^()]+)\)$")


def pip_audit() -> dict:
    """pip-audit with PyPI's service; the packages it had to skip go to pypi_advisories."""
    command = [
        str(BIN / "pip-audit"),
        "--vulnerability-service",
        "pypi",
        "--skip-editable",
        "--progress-spinner",
        "off",
        "-f",
        "json",
    ]
    try:
        result = run(command, timeout=600)
    except subprocess.TimeoutExpired:
        return {"error": "pip-audit got no answer from PyPI within 10 minutes"}
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return {"error": "pip-audit failed: " + result.stderr.strip()[-300:]}
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if not d.get("skip_reason")]
    vulnerable = [
        f"{d['name']} {d['version']}: {[v['id'] for v in d['vulns']]}"
        for d in audited
        if d.get("vulns")
    ]
    unfixed = [
        f"{d['name']} {d['version']}"
        for d in audited
        if any(not v.get("fix_versions") for v in d.get("vulns", []))
    ]
    skipped = [
        (d["name"], match["version"])
        for d in dependencies
        if (match := NOT_FOUND_ON_PYPI.search(d.get("skip_reason", "")))
    ]
    outcome = {
        "pip_audit_audited": len(audited),
        "pip_audit_skipped": len(skipped),
        "audited": len(audited),
        "vulnerable": len(vulnerable),
        "unfixed": len(unfixed),
        "details": vulnerable,
        "current_in_series": [],
        "unverifiable": [],
    }
    if skipped:
        import django
        import pypi_advisories

        outcome["probe"] = pypi_json_api_probe("Django", django.get_version())
        for verdict in pypi_advisories.audit(skipped):
            label = f"{verdict.name} {verdict.version}"
            if verdict.kind == pypi_advisories.AUDITED:
                outcome["audited"] += 1
                if verdict.vulnerabilities:
                    outcome["vulnerable"] += 1
                    outcome["details"].append(f"{label}: {verdict.vulnerabilities}")
                if verdict.unfixed:
                    outcome["unfixed"] += 1
            elif verdict.kind == pypi_advisories.CURRENT_IN_SERIES:
                outcome["current_in_series"].append(f"{label} ({verdict.reason})")
            else:
                outcome["unverifiable"].append(f"{label} ({verdict.reason})")
    return outcome


def pip_status(result) -> str:
    if "error" in result:
        return f"{NOT_MEASURED}: {result['error']}"
    if not result["audited"]:
        return f"{NOT_MEASURED}: PyPI gave no vulnerability data ({result.get('probe', '')})"
    text = (
        f"{result['unfixed']} unfixed, {result['vulnerable']} vulnerable of "
        f"{result['audited']} audited"
    )
    if result.get("pip_audit_skipped"):
        text += (
            f" ({result['pip_audit_audited']} by pip-audit; {result['pip_audit_skipped']} that "
            f"it skipped because {result.get('probe', 'the per-release API failed')} were read "
            "from PyPI's project-level list, valid for a project's newest release)"
        )
    if result.get("current_in_series"):
        text += "; not auditable, newest of a maintained series: " + ", ".join(
            result["current_in_series"]
        )
    if result.get("unverifiable"):
        text += "; NOT CHECKED: " + ", ".join(result["unverifiable"])
    return text


# --- Database ---------------------------------------------------------------------------


def postgresql_url() -> str | None:
    """AUDIT_DATABASE_URL, or the local PostgreSQL when it answers; None: SQLite."""
    url = os.environ.get("AUDIT_DATABASE_URL")
    if url is None:
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            pass
    except OSError:
        return None
    return url


def throwaway_url(url: str) -> str:
    """The same server, a database name of this run: pytest-django creates test_<name> and
    drops it at the end."""
    parts = urlsplit(url)
    name = f"audit_{os.getpid()}_{int(time.time())}"
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    """Drop the test database of ``url`` if pytest left it (an interrupted run)."""
    import psycopg

    parts = urlsplit(url)
    name = "test_" + parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(
            admin.replace("postgres://", "postgresql://", 1), autocommit=True
        ) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # name built above
    except psycopg.Error as error:
        print(f"  could not drop {name}: {error}")


# --- Tests ------------------------------------------------------------------------------


def pytest_run(paths, env, *extra) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        command = [
            str(BIN / "pytest"),
            *paths,
            *extra,
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
        ]
        started = time.monotonic()
        result = run(command, env=env)
        suites = {}
        if junit.exists():
            report = ET.parse(junit)  # noqa: S314 (our own pytest's report)
            for case in report.getroot().iter("testcase"):
                suite = "/".join(case.get("classname", "").split(".")[:2])
                counts = suites.setdefault(suite, {"passed": 0, "failed": 0, "skipped": 0})
                if case.find("failure") is not None or case.find("error") is not None:
                    counts["failed"] += 1
                elif case.find("skipped") is not None:
                    counts["skipped"] += 1
                else:
                    counts["passed"] += 1
    return {
        "exit": result.returncode,
        "suites": suites,
        "seconds": round(time.monotonic() - started),
        "tail": result.stdout[-3000:],
    }


def tests(database_url: str | None) -> dict:
    AUDIT_FIGURES.unlink(missing_ok=True)
    AUDIT_TRUST.mkdir(parents=True, exist_ok=True)
    for old in AUDIT_TRUST.glob("*.json"):
        old.unlink()
    env = {
        **os.environ,
        **AUDIT_ENV,
        "SQLITE_PATH": os.environ.get("SQLITE_PATH", "var/test_audit.sqlite3"),
        "SECURITY_FIGURES_PATH": str(AUDIT_FIGURES),
        "TRUST_FIGURES_DIR": str(AUDIT_TRUST),
    }
    env.pop("DATABASE_URL", None)
    sqlite_env = dict(env)
    if database_url:
        env["DATABASE_URL"] = throwaway_url(database_url)
    backend = "PostgreSQL" if database_url else "SQLite"
    print(f"pytest {' '.join(SUITES)} on {backend}… (several minutes)", flush=True)
    try:
        main_run = pytest_run(SUITES, env, "--ignore", SQLITE_PROFILE)
    finally:
        if database_url:
            drop_database(env["DATABASE_URL"])
    print(f"  {main_run['seconds']} s", flush=True)
    print(f"pytest {SQLITE_PROFILE} on a SQLite file…", flush=True)
    sqlite_run = pytest_run([SQLITE_PROFILE], sqlite_env)
    print(f"  {sqlite_run['seconds']} s", flush=True)
    suites = main_run["suites"]
    for suite, counts in sqlite_run["suites"].items():
        total = suites.setdefault(suite, {"passed": 0, "failed": 0, "skipped": 0})
        for key, value in counts.items():
            total[key] += value
    return {
        "exit": main_run["exit"] or sqlite_run["exit"],
        "backend": backend,
        "suites": suites,
        "seconds": main_run["seconds"] + sqlite_run["seconds"],
        "tail": "\n".join(r["tail"] for r in (main_run, sqlite_run) if r["exit"]),
    }


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def figures_read(from_audit_run: bool) -> tuple[dict, dict]:
    """(security figures by area, trust figures by matrix name)."""
    security_path = AUDIT_FIGURES if from_audit_run else ROOT / "var" / "security_figures.json"
    trust_dir = AUDIT_TRUST if from_audit_run else ROOT / "var" / "figures"
    trust = {path.stem: read_json(path) for path in sorted(trust_dir.glob("*.json"))}
    return read_json(security_path), trust


def rgaa_rate() -> float | None:
    if not RGAA.exists():
        return None
    found = re.search(r"Taux de conformité\s*:\s*([\d.,]+)\s*%", RGAA.read_text(encoding="utf-8"))
    return float(found.group(1).replace(",", ".")) if found else None


# --- The table --------------------------------------------------------------------------


def how_many(value):
    """A count, from a count or from the list a matrix gives."""
    return len(value) if isinstance(value, (list, tuple, dict)) else value


def number(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


class Figures:
    def __init__(self, security: dict, trust: dict):
        self.security = security
        self.trust = trust

    def has(self, area, *keys) -> bool:
        values = self.security.get(area)
        return values is not None and all(key in values for key in keys)

    def s(self, area, key, default=None):
        return self.security.get(area, {}).get(key, default)

    def t(self, name, key, default=None):
        return self.trust.get(name, {}).get(key, default)


def table(fig: Figures, results: dict, bandit_result: dict, pip_result: dict) -> list[Row]:
    """Rows in the order of SECURITY.md part 4, each with its check against the target."""
    from django.conf import settings  # settings are configured by main()

    s, t, has = fig.s, fig.t, fig.has
    on_sqlite = results.get("backend") == "SQLite"
    needs_pg = " (needs PostgreSQL: this run was on SQLite)" if on_sqlite else ""
    rows: list[Row] = []

    def add(area, figure, target, measured, met):
        rows.append(Row(area, figure, measured, target, met))

    def unmeasured(area, figure, target, note=""):
        add(area, figure, target, NOT_MEASURED + note, None)

    # Password policy (trust fuzzing, else the security suite's)
    area, figure, target = (
        "Password policy",
        "generated inputs / false accepts / false rejects",
        "≥ 5,000 / 0 / 0",
    )
    if "password_fuzzing" in fig.trust:
        g, fa, fr = (
            t("password_fuzzing", k) for k in ("generated_inputs", "false_accepts", "false_rejects")
        )
        add(area, figure, target, f"{number(g)} / {fa} / {fr}", g >= 5000 and fa == 0 and fr == 0)
    elif has("password_policy", "generated", "false_accepts", "false_rejects"):
        g, fa, fr = (
            s("password_policy", k) for k in ("generated", "false_accepts", "false_rejects")
        )
        add(area, figure, target, f"{number(g)} / {fa} / {fr}", g >= 5000 and fa == 0 and fr == 0)
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "Blocklist",
        "common (made compliant) + French + context words tried / accepted",
        "0 accepted",
    )
    if "password_blocklist" in fig.trust:
        lists = ", ".join(
            f"{name.replace('_', ' ')} {t('password_blocklist', name)['tried']:,} / {t('password_blocklist', name)['accepted']}"
            for name in ("django_common_made_compliant", "french_words", "context_words")
            if isinstance(t("password_blocklist", name), dict)
        )
        accepted = t("password_blocklist", "accepted")
        add(
            area,
            figure,
            target,
            f"{number(t('password_blocklist', 'tried'))} / {accepted} ({lists})",
            accepted == 0,
        )
    elif has("blocklist", "django_list_accepted", "french_and_context_accepted"):
        accepted = s("blocklist", "django_list_accepted") + s(
            "blocklist", "french_and_context_accepted"
        )
        add(
            area,
            figure,
            target,
            f"Django's list made compliant {s('blocklist', 'django_list_tried')} / {s('blocklist', 'django_list_accepted')}; French and context words {s('blocklist', 'french_and_context_tried')} / {s('blocklist', 'french_and_context_accepted')}",
            accepted == 0,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "Lockout",
        "failures before lock (1 IP; 50 IPs) / failures per 24 h / wrongly locked",
        "≤ 10; ≤ 10; ≤ 25; 0",
    )
    keys = (
        "failures_before_lock_one_ip",
        "failures_before_lock_50_ips",
        "failures_per_24h",
        "wrongly_locked",
    )
    if has("lockout", *keys):
        one, fifty, day, wrong = (s("lockout", k) for k in keys)
        add(
            area,
            figure,
            target,
            f"{one}; {fifty}; {day}; {wrong} (limit {s('lockout', 'failure_limit')}, cool-off {s('lockout', 'cooloff_minutes')} min)",
            one <= 10 and fifty <= 10 and day <= 25 and wrong == 0,
        )
    elif has("lockout"):
        unmeasured(
            area,
            figure,
            target,
            f" as counts (limit {s('lockout', 'failure_limit')} per account and per IP, cool-off {s('lockout', 'cooloff_minutes')} min)",
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "Hashing",
        "p50/p95 hash time; peak RSS at 16 concurrent logins",
        "within budget",
    )
    keys = ("p50_ms", "p95_ms", "peak_rss_mb_16_logins", "budget_p95_ms", "budget_rss_mb")
    if has("hashing", *keys):
        p50, p95, rss, budget_ms, budget_mb = (s("hashing", k) for k in keys)
        add(
            area,
            figure,
            f"within budget (p95 ≤ {number(budget_ms)} ms, RSS ≤ {number(budget_mb)} MB)",
            f"{number(p50)} / {number(p95)} ms; {number(rss)} MB",
            p95 <= budget_ms and rss <= budget_mb and s("hashing", "within_budget", True) is True,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = "Enumeration", "median Δt login, Δt reset; p-value", "< 5 ms; p > 0.01"
    keys = ("login_median_delta_ms", "reset_median_delta_ms", "login_p_value", "reset_p_value")
    if has("enumeration", *keys):
        login, reset, login_p, reset_p = (s("enumeration", k) for k in keys)
        add(
            area,
            figure,
            target,
            f"login {number(login)} ms (p = {login_p:.3g}), reset {number(reset)} ms (p = {reset_p:.3g}); {number(s('enumeration', 'samples', '?'))} samples",
            abs(login) < 5 and abs(reset) < 5 and login_p > 0.01 and reset_p > 0.01,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = "Forced change / CGU gate", "URLs reachable before completion", "0 / N"
    if has("gates", "cgu_reachable", "forced_change_reachable"):
        add(
            area,
            figure,
            target,
            f"CGU {s('gates', 'cgu_reachable')} / {s('gates', 'cgu_urls')} routes; temporary password {s('gates', 'forced_change_reachable')} / {s('gates', 'forced_change_urls')} (GET and POST)",
            s("gates", "cgu_reachable") == 0 and s("gates", "forced_change_reachable") == 0,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "Sessions",
        "idle / absolute timeout; other sessions alive after a password change (and a reset)",
        "30 min / 12 h; 0",
    )
    keys = ("idle_minutes", "absolute_hours", "other_sessions_alive_after_password_change")
    if has("sessions", *keys):
        idle, absolute, others = (s("sessions", k) for k in keys)
        after_reset = s("sessions", "other_sessions_alive_after_reset")
        add(
            area,
            figure,
            target,
            f"{number(idle)} min / {number(absolute)} h; {others} (after a reset: {after_reset if after_reset is not None else NOT_MEASURED})",
            idle <= 30 and absolute <= 12 and others == 0 and after_reset in (0, None),
        )
    else:
        unmeasured(
            area,
            figure,
            target,
            f" by a test (settings: {settings.SESSION_COOKIE_AGE // 60} min / {settings.SESSION_ABSOLUTE_SECONDS // 3600} h)",
        )

    area, figure, target = "check --deploy", "warnings", "0"
    if has("check_deploy", "warnings"):
        add(
            area,
            figure,
            target,
            number(s("check_deploy", "warnings")),
            s("check_deploy", "warnings") == 0,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = "Headers", "URLs × headers missing", "0"
    if has("headers", "missing"):
        add(
            area,
            figure,
            target,
            f"{s('headers', 'urls_checked')} responses × {s('headers', 'headers_per_url')} headers, missing {s('headers', 'missing')}",
            s("headers", "missing") == 0,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = "XSS", "payloads × sinks executed; CSP violations", "0"
    if has("xss", "executed"):
        csp = s("csp_browser", "violations")
        add(
            area,
            figure,
            target,
            f"{number(s('xss', 'payloads_x_sinks'))} payload renderings ({s('xss', 'payloads')} payloads), executed {s('xss', 'executed')}; CSP violations on {s('csp_browser', 'pages', '?')} pages: {csp if csp is not None else NOT_MEASURED}",
            s("xss", "executed") == 0 and csp in (0, None),
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "CSRF",
        "state-changing views accepting requests without a token; exempt views",
        "0; 1 (the payment services' notification)",
    )
    if "csrf" in fig.trust:
        accepted = t("csrf", "accepted_without_valid_token")
        exempt = t("csrf_exempt", "exempt_views")
        names = t("csrf_exempt", "exempt_view_names", []) or []
        # The one notification view of the payment services: nothing else may be exempt.
        notifications_only = (
            exempt == 1
            and t("csrf_exempt", "unexpected_exempt_views", []) == []
            and names == ["portal:payment-notification"]
        )
        add(
            area,
            figure,
            target,
            f"{accepted} of {number(t('csrf', 'posts'))} posts ({t('csrf', 'routes_posted')} routes × {how_many(t('csrf', 'principals'))} principals × {how_many(t('csrf', 'variants'))} token variants); exempt {exempt if exempt is not None else NOT_MEASURED} ({', '.join(t('csrf_exempt', 'exempt_view_names', []) or [])})",
            accepted == 0 and notifications_only,
        )
    elif has("csrf", "accepted_without_token"):
        add(
            area,
            figure,
            target,
            f"{s('csrf', 'accepted_without_token')} of {s('csrf', 'views_tested')} routes × 3 principals; exempt {s('csrf', 'exempt_views')}",
            s("csrf", "accepted_without_token") == 0 and s("csrf", "exempt_views") == 1,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "IDOR",
        "routes × principals × objects; leaks; unexpected PayFiP calls",
        "0; 0",
    )
    if "idor" in fig.trust:
        leaks, calls = t("idor", "leaks"), t("idor", "unexpected_payment_attempts")
        add(
            area,
            figure,
            target,
            f"{t('idor', 'routes_covered')} routes ({how_many(t('idor', 'routes_not_covered'))} not covered) × {how_many(t('idor', 'principals'))} principals × {how_many(t('idor', 'objects_of_family_a'))} objects = {number(t('idor', 'route_object_principal_triples'))} triples, {number(t('idor', 'requests'))} requests; leaks {leaks}; unexpected PayFiP calls {calls}; unexpected statuses {t('idor', 'unexpected_statuses')}; server errors {t('idor', 'server_errors')}",
            leaks == 0 and calls == 0,
        )
    elif has("idor", "leaks"):
        add(
            area,
            figure,
            target,
            f"{s('idor', 'routes')} routes × {s('idor', 'principals')} principals × {s('idor', 'objects')} objects = {s('idor', 'requests')} requests, leaks {s('idor', 'leaks')}; back office {s('idor', 'staff_requests')} requests, leaks {s('idor', 'staff_leaks')}; PayFiP calls {NOT_MEASURED}",
            None if s("idor", "leaks") == 0 and s("idor", "staff_leaks", 0) == 0 else False,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = "Open redirect", "payloads × endpoints leaving the host", "0"
    if "open_redirect" in fig.trust:
        off = t("open_redirect", "off_site_redirects")
        add(
            area,
            figure,
            target,
            f"{how_many(t('open_redirect', 'payloads'))} payloads × {how_many(t('open_redirect', 'endpoints'))} endpoints ({number(t('open_redirect', 'requests'))} requests), off-site {off}",
            off == 0,
        )
    elif has("open_redirect", "off_site"):
        add(
            area,
            figure,
            target,
            f"{s('open_redirect', 'payloads')} × {s('open_redirect', 'endpoints')}, off-site {s('open_redirect', 'off_site')}",
            s("open_redirect", "off_site") == 0,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "Host header",
        "forged Host accepted (pages); e-mails naming the forged host",
        "0; 0",
    )
    pages, emails = fig.trust.get("host_header_pages"), fig.trust.get("host_header_emails")
    if pages and emails:
        accepted, mentioned = (
            pages.get("accepted_forged_hosts"),
            emails.get("emails_mentioning_the_forged_host"),
        )
        add(
            area,
            figure,
            target,
            f"{how_many(pages.get('pages'))} pages × {how_many(pages.get('forged_hosts'))} hosts, accepted {accepted}; {emails.get('emails')} e-mails of {how_many(emails.get('email_kinds'))} kinds, naming it {mentioned}",
            accepted == 0 and mentioned == 0,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "PayFiP notifications",
        "forged / replayed (N) / concurrent (N × 200): wrong transitions; duplicate e-mails",
        "0; 0",
    )
    keys = (
        "forged",
        "forged_wrong_transitions",
        "replayed",
        "replayed_wrong_transitions",
        "duplicate_emails",
    )
    if has("payfip_notifications", *keys):
        n = fig.security["payfip_notifications"]
        runs = n.get("concurrent_runs")
        concurrent = (
            f"{n['concurrent_deliveries']} × {runs} runs: {n['concurrent_wrong_transitions']}"
            if runs is not None
            else f"{NOT_MEASURED}{needs_pg}"
        )
        wrong = (
            n["forged_wrong_transitions"]
            + n["replayed_wrong_transitions"]
            + n.get("concurrent_wrong_transitions", 0)
        )
        clean = wrong == 0 and n["duplicate_emails"] == 0
        add(
            area,
            figure,
            target,
            f"forged {n['forged']}: {n['forged_wrong_transitions']}; replayed ({n['replayed']}): {n['replayed_wrong_transitions']}; concurrent {concurrent}; duplicate e-mails {n['duplicate_emails']}",
            # Clean but fewer than 200 concurrent runs: not completely measured.
            False if not clean else (True if (runs or 0) >= 200 else None),
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "Reconciliation",
        "lost notifications injected / reconciled; max detection delay",
        "20/20; ≤ 15 min",
    )
    if has("reconciliation", "injected", "reconciled", "max_delay_minutes"):
        injected, reconciled, delay = (
            s("reconciliation", k) for k in ("injected", "reconciled", "max_delay_minutes")
        )
        add(
            area,
            figure,
            target,
            f"{injected}/{reconciled}; {number(delay)} min (job every {s('reconciliation', 'job_every_minutes', '?')} min)",
            injected >= 20 and reconciled == injected and delay <= 15,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = "Ledger constraints", "violating writes accepted", "0"
    if has("ledger_constraints", "attempted", "accepted"):
        accepted = s("ledger_constraints", "accepted")
        add(
            area,
            figure,
            target,
            f"{accepted} of {s('ledger_constraints', 'attempted')} attempted ({s('ledger_constraints', 'backend')}){': ' + ', '.join(s('ledger_constraints', 'accepted_writes', [])) if accepted else ''}",
            accepted == 0 and s("ledger_constraints", "attempted") > 0,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "IBAN",
        "plaintext in DB or dump; log hits; decrypt after key rotation; card-number hits",
        "0; 0; 100 %; 0",
    )
    keys = (
        "plaintext_in_db_or_dump",
        "log_hits",
        "decrypt_after_rotation_percent",
        "card_number_hits",
    )
    if has("iban", *keys):
        plain, logs, decrypt, cards = (s("iban", k) for k in keys)
        add(
            area,
            figure,
            target,
            f"{plain}; {logs}; {number(decrypt)} %; {cards} ({s('iban', 'ibans_checked', '?')} IBANs checked)",
            plain == 0 and logs == 0 and decrypt == 100 and cards == 0,
        )
    else:
        unmeasured(
            area, figure, target, " (the export masks IBANs: tests/security/test_personal_data.py)"
        )

    area, figure, target = (
        "Audit trail",
        "sensitive actions logged; sensitive values inside logs",
        "100 %; 0",
    )
    if has("audit", "events_written", "actions_performed", "sensitive_values_in_trail"):
        written, actions, sensitive = (
            s("audit", k)
            for k in ("events_written", "actions_performed", "sensitive_values_in_trail")
        )
        add(
            area,
            figure,
            target,
            f"{written} events for {actions} actions; sensitive values {sensitive}",
            actions > 0 and written >= actions and sensitive == 0,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = "Export", "household models covered", "100 %"
    if has("export", "covered", "household_models_with_data"):
        covered, total = s("export", "covered"), s("export", "household_models_with_data")
        add(
            area,
            figure,
            target,
            f"{covered} of {total} models with data",
            total > 0 and covered == total,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = "Retention", "due vs purged per category", "equal"
    retention = fig.security.get("retention", {})
    categories = [k[:-4] for k in retention if k.endswith("_due") and not k.startswith("invoices")]
    if categories:
        add(
            area,
            figure,
            target,
            ", ".join(
                f"{c} {retention[c + '_due']}/{retention.get(c + '_purged')}" for c in categories
            ),
            all(retention[c + "_due"] == retention.get(c + "_purged") for c in categories),
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = "Concurrency", "runs × invariants violated", "0 / 200 runs"
    concurrency = fig.security.get("concurrency", {})
    scenarios = sorted(k[: -len("_runs")] for k in concurrency if k.endswith("_runs"))
    if scenarios:
        violations = sum(concurrency.get(f"{c}_violations", 0) for c in scenarios)
        text = "; ".join(
            f"{c.replace('_', ' ')} {concurrency[c + '_runs']} runs × {concurrency.get(c + '_invariants', '?')} invariants: {concurrency.get(c + '_violations', 0)}"
            for c in scenarios
        )
        most = max(concurrency[c + "_runs"] for c in scenarios)
        add(
            area,
            figure,
            target,
            f"{text} (PostgreSQL)",
            False if violations else (True if most >= 200 else None),
        )
    else:
        unmeasured(area, figure, target, needs_pg)

    area, figure, target = "SQLite profile", "« database is locked » errors (20 writers, 60 s)", "0"
    keys = ("writers", "seconds", "locked_errors", "transactions")
    if has("sqlite_profile", *keys):
        writers, seconds, locked, done = (s("sqlite_profile", k) for k in keys)
        add(
            area,
            figure,
            target,
            f"{locked} with {writers} writers for {number(seconds)} s; {number(done)} write transactions ({number(done / seconds if seconds else 0)}/s), other errors {s('sqlite_profile', 'other_errors', 0)}",
            False
            if locked or s("sqlite_profile", "other_errors", 0)
            else (True if writers >= 20 and seconds >= 60 else None),
        )
    else:
        unmeasured(area, figure, target)

    rows.append(load_row())
    rows.append(backup_row(fig))
    rows.append(accessibility_row(fig, results))

    area, figure, target = "Supply chain", "bandit medium/high; pip-audit unfixed", "0; 0"
    bandit_ok = bandit_result.get("medium", 1) == 0 and bandit_result.get("high", 1) == 0
    pip_measured = (
        "error" not in pip_result
        and pip_result.get("audited", 0) > 0
        and not pip_result.get("unverifiable")
    )
    add(
        area,
        figure,
        target,
        f"bandit {bandit_result.get('medium', '?')}/{bandit_result.get('high', '?')}; pip-audit {pip_status(pip_result)}",
        False
        if not bandit_ok or pip_result.get("unfixed", 0)
        else (True if pip_measured else None),
    )

    area, figure, target = (
        "Logs",
        "personal data, passwords, tokens in the logs of a family journey",
        "0",
    )
    if "log_hygiene" in fig.trust:
        findings = t("log_hygiene", "findings")
        add(
            area,
            figure,
            target,
            f"{findings} findings in {number(t('log_hygiene', 'records_scanned'))} records ({t('log_hygiene', 'secrets_tracked')} secrets tracked)",
            findings == 0 and (t("log_hygiene", "records_scanned") or 0) > 0,
        )
    elif has("logs", "sensitive_hits"):
        add(
            area,
            figure,
            target,
            f"{s('logs', 'sensitive_hits')} hits in {s('logs', 'records')} records",
            s("logs", "sensitive_hits") == 0,
        )
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "Never a 500",
        "server errors on unknown references (every route, GET and POST)",
        "0",
    )
    if has("errors", "server_errors_on_unknown_objects"):
        errors = s("errors", "server_errors_on_unknown_objects")
        add(area, figure, target, str(errors), errors == 0)
    else:
        unmeasured(area, figure, target)

    area, figure, target = (
        "Rate limits",
        "reset e-mails for 30 requests; requests per IP before 429",
        "≤ 5; documented",
    )
    if has("rate_limits", "reset_emails_sent"):
        sent = s("rate_limits", "reset_emails_sent")
        add(
            area,
            figure,
            target,
            f"{sent}; {s('rate_limits', 'reset_requests_before_429')}",
            sent <= 5,
        )
    else:
        unmeasured(area, figure, target)
    return rows


def load_row() -> Row:
    """REL-04 from bench/scenario.py (parents and agents with think time, Locust): every
    page's p95 under the budget, the error rate, the workers' memory growth after warm-up.
    bench/load.py's capacity figures (wrk, no pause) are named beside it, not checked:
    they measure how far the pages go, not what a family waits at the peak."""
    area, figure, target = (
        "Load",
        "RPS, p95, error rate, RSS growth (REL-04 scenario)",
        "p95 < 800 ms; < 0.1 %; < 10 %",
    )
    scenario = read_json(SCENARIO)
    if not scenario.get("pages"):
        return Row(
            area,
            figure,
            f"{NOT_MEASURED}: run make bench-scenario (var/bench/scenario.json)",
            target,
            None,
        )
    # REL-04's run, not a shorter or smaller one (make bench-scenario SCENARIO_ARGS=…).
    rel04 = {"parents": 200, "staff": 20, "duration": 600, "scale": 1.0}
    short = [
        f"{key} {scenario.get(key)} (REL-04: {value:g})"
        for key, value in rel04.items()
        if (scenario.get(key) or 0) < value
    ]
    if short:
        return Row(
            area,
            figure,
            f"{NOT_MEASURED}: the last make bench-scenario was not REL-04's run: "
            + ", ".join(short),
            target,
            None,
        )
    checks = scenario["verdicts"]
    total = scenario["pages"]["Aggregated"]
    growth = checks.get("rss_growth_percent")
    text = (
        f"{scenario['parents']} parents + {scenario['staff']} agents for "
        f"{number(scenario['duration'])} s (think {scenario['think_seconds'][0]:g}–"
        f"{scenario['think_seconds'][1]:g} s): {number(total['requests'])} requests, "
        f"{total['per_second']:.1f}/s, p50/p95/p99 {number(total['p50_ms'])}/"
        f"{number(total['p95_ms'])}/{number(total['p99_ms'])} ms; slowest page "
        f"{checks['slowest_page']} p95 {number(checks['slowest_p95_ms'])} ms; errors "
        f"{checks['error_rate']:.3f} %, portal 5xx "
        f"{sum((scenario.get('server_errors_logged') or {}).values())} (PayFiP simulator's SOAP "
        f"faults apart: {scenario.get('simulator_faults', NOT_MEASURED)}); workers' memory peak {number(scenario['peak_rss_mb'])} MB, "
        f"{f'{growth:+.1f} %' if growth is not None else NOT_MEASURED} after warm-up "
        f"(make bench-scenario "
        f"{scenario.get('date', '')}, {number(scenario['rows'].get('households.Household', 0))} "
        f"households, load average {number(scenario.get('load_average'))})"
    )
    capacity = read_json(LOAD)
    if capacity.get("pages", {}).get("hello"):
        hello = capacity["pages"]["hello"]["per_second"]
        dashboard = capacity["pages"].get("dashboard", {}).get("per_second")
        text += (
            f"; capacity (make bench, wrk without pause): hello {number(round(hello))}/s, "
            f"dashboard {number(round(dashboard)) if dashboard else NOT_MEASURED}/s"
        )
    met = checks["p95_met"] and checks["errors_met"] and checks["memory_met"]
    return Row(area, figure, text, target, met)


def backup_row(fig: Figures) -> Row:
    area, figure, target = (
        "Backup",
        "RPO, RTO, checksum match (tables, media), IBAN decrypt after restore",
        "RPO ≤ 24 h; 100 %; 100 %",
    )
    keys = ("rpo_hours", "rto_seconds", "checksum_match_percent", "iban_decrypt_percent")
    if not fig.has("backup", *keys):
        return Row(area, figure, NOT_MEASURED, target, None)
    rpo, rto, checksum, iban = (fig.s("backup", k) for k in keys)
    media = fig.s("backup", "media_match_percent")
    return Row(
        area,
        figure,
        f"{fig.s('backup', 'engine', '')} drill: RPO {number(rpo)} h; RTO {number(rto)} s; {number(checksum)} % of {fig.s('backup', 'tables', '?')} tables ({number(fig.s('backup', 'rows', '?'))} rows); media {number(media) + ' %' if media is not None else NOT_MEASURED} of {fig.s('backup', 'media_files', '?')} files; IBAN decrypt {number(iban)} %",
        target,
        rpo <= 24 and checksum == 100 and iban == 100 and media in (100, None),
    )


def accessibility_row(fig: Figures, results: dict) -> Row:
    area, figure = (
        "Accessibility",
        "pages × states scanned, axe violations, incomplete; keyboard journeys; reflow 320 px; manual RGAA rate",
    )
    target = "0; N; all; 0; ≥ 50 % « partiel » (100 % « total »)"
    parts, checks, complete = [], [], True
    for name, label in (("accessibility_family", "family"), ("accessibility_staff", "staff")):
        if fig.has(name, "violations"):
            a = fig.security[name]
            parts.append(
                f"{label} {a.get('pages', '?')} pages × {a.get('states', '?')} states ({a.get('page_states_scanned', '?')} scanned), violations {a['violations']}, incomplete {a.get('incomplete', '?')}, routes not scanned {a.get('routes_not_scanned', '?')}"
            )
            checks.append(a["violations"] == 0)
        else:
            parts.append(f"{label} pages: {NOT_MEASURED}")
            complete = False
    if fig.has("accessibility", "axe_violations"):
        parts.append(
            f"legal/data pages {fig.s('accessibility', 'pages_scanned_by_this_suite')} scanned, violations {fig.s('accessibility', 'axe_violations')}"
        )
        checks.append(fig.s("accessibility", "axe_violations") == 0)
    if fig.has("keyboard", "journeys", "journeys_passed"):
        journeys, passed = fig.s("keyboard", "journeys"), fig.s("keyboard", "journeys_passed")
        parts.append(f"keyboard journeys {passed}/{journeys}")
        checks.append(journeys > 0 and passed == journeys)
    else:
        parts.append(f"keyboard: {NOT_MEASURED}")
        complete = False
    if fig.has("reflow", "pages_at_320px", "horizontal_scroll"):
        scroll = fig.s("reflow", "horizontal_scroll")
        parts.append(
            f"{fig.s('reflow', 'pages_at_320px')} pages at 320 px, horizontal scroll {scroll}"
        )
        checks.append(scroll == 0)
    else:
        parts.append(f"reflow: {NOT_MEASURED}")
        complete = False
    rate = rgaa_rate()
    if rate is None:
        parts.append(f"manual RGAA rate: {NOT_MEASURED} (docs/rgaa-audit.md)")
        complete = False
    else:
        parts.append(f"manual RGAA rate {number(rate)} % (docs/rgaa-audit.md)")
        checks.append(rate >= 50)
    met = False if not all(checks) else (True if complete else None)
    return Row(area, figure, "; ".join(parts), target, met)


# --- Output -----------------------------------------------------------------------------


def verdict(row: Row) -> str:
    return {True: MET, False: NOT_MET, None: UNMEASURED}[row.met]


def markdown(rows: list[Row]) -> list[str]:
    lines = ["| Area | Figure | Measured | Target | Target met |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row.area} | {row.figure} | {row.measured} | {row.target} | {verdict(row)} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-tests",
        action="store_true",
        help="Only bandit and pip-audit; the table from what the last test runs recorded "
        "(var/security_figures.json, var/figures/).",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Like --skip-tests, with the figures of the last audit run (var/audit/).",
    )
    parser.add_argument("--skip-pip-audit", action="store_true", help="No network access.")
    parser.add_argument(
        "--sqlite", action="store_true", help="Run the suites on SQLite even if PostgreSQL answers."
    )
    options = parser.parse_args()
    started = time.monotonic()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    OUT.mkdir(parents=True, exist_ok=True)

    print("bandit (portail/ config/, medium and high)…", flush=True)
    bandit_result = bandit()
    for line in bandit_result.get("findings", []):
        print("  " + line)
    if "error" in bandit_result:
        print("  bandit failed: " + bandit_result["error"])
    if options.skip_pip_audit:
        pip_result = {"error": "skipped (--skip-pip-audit)"}
    else:
        print("pip-audit (PyPI vulnerability service)…", flush=True)
        pip_result = pip_audit()
        for line in pip_result.get("details", []):
            print("  " + line)
    print("pip-audit: " + pip_status(pip_result))

    results = {"exit": 0, "suites": {}}
    if options.reuse:
        options.skip_tests = True
        last = read_json(OUT / "figures.json")
        results = last.get("run") or {
            "exit": 0,
            "backend": last.get("backend"),
            "suites": last.get("suites", {}),
        }
    if not options.skip_tests:
        database_url = None if options.sqlite else postgresql_url()
        if database_url is None:
            print("PostgreSQL does not answer (127.0.0.1:5432 or AUDIT_DATABASE_URL): SQLite.")
        results = tests(database_url)
        for suite, counts in sorted(results["suites"].items()):
            print(
                f"  {suite}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
            )
        if results["exit"]:
            print(results["tail"])
    security, trust = figures_read(from_audit_run=options.reuse or not options.skip_tests)
    rows = table(Figures(security, trust), results, bandit_result, pip_result)

    met = sum(1 for row in rows if row.met is True)
    missed = [row.area for row in rows if row.met is False]
    unmeasured = [row.area for row in rows if row.met is None]
    gates_failed = (
        results["exit"] != 0
        or bandit_result.get("medium", 1) + bandit_result.get("high", 1) > 0
        or pip_result.get("unfixed", 0) > 0
    )
    summary = [f"{met} of {len(rows)} rows met."]
    if missed:
        summary.append("Target NOT met: " + ", ".join(missed) + ".")
    if unmeasured:
        summary.append("Not (completely) measured: " + ", ".join(unmeasured) + ".")
    if results.get("backend") == "SQLite":
        summary.append(
            "PostgreSQL did not answer: the concurrency rows (PayFiP concurrent notifications, Concurrency) need it."
        )
    if results["exit"]:
        summary.append("Some tests failed (see above).")
    elapsed = round(time.monotonic() - started)
    when = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    if options.skip_tests:
        source = "the last audit run's figures (--reuse)" if options.reuse else "the last test runs"
        header = f"Printed {when} from {source}"
        if results.get("backend"):
            header += f", on {results['backend']}"
            if results.get("seconds"):
                header += f", whose tests took {results['seconds']} s"
        header += "."
    else:
        header = (
            f"Measured {when} on {results['backend']}: {elapsed} s (tests {results['seconds']} s)."
        )
    document = ["## Figures (SECURITY.md part 4)", "", header, "", *markdown(rows), "", *summary]
    print("\n" + "\n".join(document))
    (OUT / "figures.md").write_text("\n".join(document) + "\n", encoding="utf-8")
    (OUT / "figures.json").write_text(
        json.dumps(
            {
                "measured_at": when,
                "backend": results.get("backend"),
                "seconds": elapsed,
                "suites": results["suites"],
                "run": {key: results.get(key) for key in ("exit", "backend", "suites", "seconds")},
                "bandit": bandit_result,
                "pip_audit": pip_result,
                "rows": [{**row.__dict__, "verdict": verdict(row)} for row in rows],
                "rows_met": met,
                "rows_total": len(rows),
                "security_figures": security,
                "trust_figures": trust,
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        ),
        encoding="utf-8",
    )
    failed = gates_failed or bool(missed)
    print("\nAudit " + ("FAILED: see above." if failed else "passed.") + " (var/audit/figures.md)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
