# The figures table is one row per line, as in SECURITY.md part 4.
# ruff: noqa: E501
"""`make audit`: the security gates of SECURITY.md, and its part 4 figures table.

1. bandit on portail/ and config/ (medium and high severity only);
2. pip-audit of the installed packages against the PyPI vulnerability service (OSV is not
   reachable here); without network, or when PyPI gives no vulnerability data, it says so;
3. the security, audit, accounts and browser (accessibility) test suites, whose tests record
   the figures in var/security_figures.json (tests/security/figures.py);
4. the table of SECURITY.md part 4 with the measured numbers; what this project does not
   measure yet is marked « not measured yet ».

Exit status 0 only when every gate passes (tests green, bandit 0, pip-audit 0 unfixed).
Usage: .venv/bin/python scripts/audit.py [--skip-tests] [--skip-pip-audit]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FIGURES = ROOT / "var" / "security_figures.json"
SUITES = ["tests/security", "tests/audit", "tests/accounts", "tests/browser"]
NOT_MEASURED = "not measured yet"


def run(command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (fixed commands of the project's own tools)
        command, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs
    )


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


def pip_audit() -> dict:
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
        result = run(command, timeout=300)
    except subprocess.TimeoutExpired:
        return {"error": "PyPI did not answer within 5 minutes (no network?)"}
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return {"error": "no network or PyPI unreachable: " + result.stderr.strip()[-200:]}
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    vulnerable = [d for d in audited if d.get("vulns")]
    unfixed = [d for d in vulnerable if any(not v.get("fix_versions") for v in d["vulns"])]
    return {
        "audited": len(audited),
        "skipped": len(skipped),
        "vulnerable": len(vulnerable),
        "unfixed": len(unfixed),
        "details": [
            f"{d['name']} {d['version']}: {[v['id'] for v in d['vulns']]}" for d in vulnerable
        ],
    }


def tests() -> dict:
    FIGURES.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        env = {
            **os.environ,
            "SQLITE_PATH": os.environ.get("SQLITE_PATH", "var/test_audit.sqlite3"),
            "SECURITY_FIGURES_PATH": str(FIGURES),
        }
        result = run(
            [str(BIN / "pytest"), *SUITES, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"],
            env=env,
        )
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
    figures = json.loads(FIGURES.read_text(encoding="utf-8")) if FIGURES.exists() else {}
    return {
        "exit": result.returncode,
        "suites": suites,
        "figures": figures,
        "tail": result.stdout[-1500:],
    }


def suite_status(results, name) -> str:
    counts = results.get("suites", {}).get(name)
    if not counts:
        return NOT_MEASURED
    return f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"


def table(results, bandit_result, pip_result) -> list[tuple[str, str, str, str]]:
    """(area, figure, measured, target) rows in the order of SECURITY.md part 4."""
    f = results.get("figures", {})

    def get(area, key, default=NOT_MEASURED):
        return f.get(area, {}).get(key, default)

    def m(area, text):
        """The measured text, or « not measured yet » when the suite recorded nothing."""
        return text() if area in f else NOT_MEASURED

    from django.conf import settings  # settings are configured by main()

    accounts = suite_status(results, "tests/accounts")
    rows = [
        (
            "Password policy",
            "generated inputs / false accepts / false rejects",
            m(
                "password_policy",
                lambda: (
                    f"{get('password_policy', 'generated')} / {get('password_policy', 'false_accepts')} / {get('password_policy', 'false_rejects')}"
                ),
            ),
            "≥ 5,000 / 0 / 0",
        ),
        (
            "Blocklist",
            "candidates tried / accepted",
            m(
                "blocklist",
                lambda: (
                    f"Django's list made compliant {get('blocklist', 'django_list_tried')} / {get('blocklist', 'django_list_accepted')}; French and context words {get('blocklist', 'french_and_context_tried')} / {get('blocklist', 'french_and_context_accepted')}"
                ),
            ),
            "0 accepted",
        ),
        (
            "Lockout",
            "failures before lock (1 IP; 50 IPs) / per 24 h / wrongly locked",
            m(
                "lockout",
                lambda: (
                    f"limit {get('lockout', 'failure_limit')} per account and per IP, cool-off {get('lockout', 'cooloff_minutes')} min (tests/accounts: {accounts}); per 24 h: {NOT_MEASURED}"
                ),
            ),
            "≤ 10; ≤ 10; ≤ 25; 0",
        ),
        ("Hashing", "p50/p95 hash time; peak RSS at 16 logins", NOT_MEASURED, "within budget"),
        ("Enumeration", "median Δt login, Δt reset; p-value", NOT_MEASURED, "< 5 ms; p > 0.01"),
        (
            "Forced change / CGU gate",
            "URLs reachable before completion",
            m(
                "gates",
                lambda: (
                    f"CGU {get('gates', 'cgu_reachable')} of {get('gates', 'cgu_urls')} routes; temporary password {get('gates', 'forced_change_reachable')} of {get('gates', 'forced_change_urls')} (GET and POST)"
                ),
            ),
            "0 / N",
        ),
        (
            "Sessions",
            "idle / absolute timeout; other sessions after a password change",
            f"{settings.SESSION_COOKIE_AGE // 60} min / {settings.SESSION_ABSOLUTE_SECONDS // 3600} h (settings); others: {NOT_MEASURED} as a count",
            "30 min / 12 h; 0",
        ),
        (
            "check --deploy",
            "warnings",
            m("check_deploy", lambda: str(get("check_deploy", "warnings"))),
            "0",
        ),
        (
            "Headers",
            "URLs × headers missing",
            m(
                "headers",
                lambda: (
                    f"{get('headers', 'urls_checked')} responses × {get('headers', 'headers_per_url')} headers, missing {get('headers', 'missing')}"
                ),
            ),
            "0",
        ),
        (
            "XSS",
            "payloads × sinks executed",
            m(
                "xss",
                lambda: (
                    f"{get('xss', 'payloads_x_sinks')} payload renderings ({get('xss', 'payloads')} payloads), executed {get('xss', 'executed')}; CSP violations on {get('csp_browser', 'pages')} pages: {get('csp_browser', 'violations')}"
                ),
            ),
            "0",
        ),
        (
            "CSRF",
            "views accepting POST without a token; exempt views",
            m(
                "csrf",
                lambda: (
                    f"{get('csrf', 'accepted_without_token')} of {get('csrf', 'views_tested')} routes × 3 principals; exempt {get('csrf', 'exempt_views')} (PayFiP notification URLs)"
                ),
            ),
            "0; 1",
        ),
        (
            "IDOR",
            "routes × principals × objects; leaks",
            m(
                "idor",
                lambda: (
                    f"{get('idor', 'routes')} routes × {get('idor', 'principals')} principals × {get('idor', 'objects')} objects = {get('idor', 'requests')} requests, leaks {get('idor', 'leaks')}; back office {get('idor', 'staff_requests')} requests, leaks {get('idor', 'staff_leaks')}"
                ),
            ),
            "0",
        ),
        (
            "Open redirect",
            "payloads × endpoints leaving the host",
            m(
                "open_redirect",
                lambda: (
                    f"{get('open_redirect', 'payloads')} × {get('open_redirect', 'endpoints')}, off-site {get('open_redirect', 'off_site')}"
                ),
            ),
            "0",
        ),
        (
            "PayFiP notifications",
            "forged / replayed / concurrent: wrong transitions; duplicate e-mails",
            f"{NOT_MEASURED} as figures (tests/payments)",
            "0; 0",
        ),
        (
            "Reconciliation",
            "lost notifications reconciled; max delay",
            f"{NOT_MEASURED} as figures (tests/payments)",
            "20/20; ≤ 15 min",
        ),
        (
            "Ledger constraints",
            "violating writes accepted",
            f"{NOT_MEASURED} as figures (tests/billing)",
            "0",
        ),
        (
            "IBAN",
            "plaintext in DB; log hits; decrypt after rotation; card numbers",
            f"{NOT_MEASURED} (export masks IBANs: tests/security/test_personal_data.py)",
            "0; 0; 100 %; 0",
        ),
        (
            "Audit trail",
            "sensitive actions logged; sensitive values in logs",
            m(
                "audit",
                lambda: (
                    f"{get('audit', 'events_written')} events for {get('audit', 'actions_performed')} actions; sensitive values {get('audit', 'sensitive_values_in_trail')}"
                ),
            ),
            "100 %; 0",
        ),
        (
            "Export",
            "household models covered",
            m(
                "export",
                lambda: (
                    f"{get('export', 'covered')} of {get('export', 'household_models_with_data')} models with data"
                ),
            ),
            "100 %",
        ),
        (
            "Retention",
            "due vs purged per category",
            ", ".join(
                f"{k[:-4]} {v}/{f.get('retention', {}).get(k[:-4] + '_purged')}"
                for k, v in f.get("retention", {}).items()
                if k.endswith("_due") and not k.startswith("invoices")
            )
            or NOT_MEASURED,
            "equal",
        ),
        (
            "Concurrency",
            "runs × invariants violated",
            f"{NOT_MEASURED} here (tests/payments, tests/billing on PostgreSQL)",
            "0 / 200 runs",
        ),
        ("SQLite profile", "« database is locked » errors", NOT_MEASURED, "0"),
        (
            "Load",
            "RPS, p95, error rate, RSS growth",
            f"{NOT_MEASURED} here (bench/, docs/benchmarks.md)",
            "budget; < 0.1 %; < 10 %",
        ),
        (
            "Backup",
            "RPO, RTO, checksum, IBAN decrypt after restore",
            NOT_MEASURED,
            "target; 100 %; 100 %",
        ),
        (
            "Accessibility",
            "pages scanned, axe violations; reflow 320 px; manual RGAA rate",
            m(
                "accessibility",
                lambda: (
                    f"tests/browser: {suite_status(results, 'tests/browser')}; legal/data pages {get('accessibility', 'pages_scanned_by_this_suite')} scanned, violations {get('accessibility', 'axe_violations')}; {get('reflow', 'pages_at_320px')} pages at 320 px, horizontal scroll {get('reflow', 'horizontal_scroll')}; manual rate: {NOT_MEASURED}"
                ),
            ),
            "0; N; ≥ 50 % partiel",
        ),
        (
            "Supply chain",
            "bandit medium/high; pip-audit unfixed",
            f"bandit {bandit_result.get('medium', '?')}/{bandit_result.get('high', '?')}; pip-audit {pip_status(pip_result)}",
            "0; 0",
        ),
        (
            "Logs",
            "personal data, passwords, tokens in the logs of a family journey",
            m(
                "logs",
                lambda: f"{get('logs', 'sensitive_hits')} hits in {get('logs', 'records')} records",
            ),
            "0",
        ),
        (
            "Never a 500",
            "server errors on unknown references (every route, GET and POST)",
            m("errors", lambda: str(get("errors", "server_errors_on_unknown_objects"))),
            "0",
        ),
        (
            "Rate limits",
            "reset e-mails for 30 requests; requests per IP before 429",
            m(
                "rate_limits",
                lambda: (
                    f"{get('rate_limits', 'reset_emails_sent')}; {get('rate_limits', 'reset_requests_before_429')}"
                ),
            ),
            "≤ 5; documented",
        ),
    ]
    return rows


def pip_status(result) -> str:
    if "error" in result:
        return f"{NOT_MEASURED}: {result['error']}"
    if not result["audited"]:
        return f"{NOT_MEASURED}: PyPI gave no vulnerability data ({result['skipped']} packages skipped: its per-release JSON API is unreachable from here)"
    text = f"{result['unfixed']} unfixed, {result['vulnerable']} vulnerable of {result['audited']} audited"
    if result["skipped"]:
        text += f" ({result['skipped']} skipped)"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-tests", action="store_true", help="Only bandit and pip-audit.")
    parser.add_argument("--skip-pip-audit", action="store_true", help="No network access.")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

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
    results = {"exit": 0, "suites": {}, "figures": {}}
    if not options.skip_tests:
        print(f"pytest {' '.join(SUITES)}… (several minutes)", flush=True)
        results = tests()
        for suite, counts in sorted(results["suites"].items()):
            print(
                f"  {suite}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
            )
        if results["exit"]:
            print(results["tail"])

    print("\n## Figures (SECURITY.md part 4)\n")
    print("| Area | Figure | Measured | Target |")
    print("|---|---|---|---|")
    for area, figure, measured, target in table(results, bandit_result, pip_result):
        print(f"| {area} | {figure} | {measured} | {target} |")
    failed = (
        results["exit"] != 0
        or bandit_result.get("medium", 1) + bandit_result.get("high", 1) > 0
        or pip_result.get("unfixed", 0) > 0
    )
    print("\nAudit " + ("FAILED: see above." if failed else "passed."))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
