"""WEB-01 / TOOL-03: production settings pass `manage.py check --deploy` with no warning."""

import os
import subprocess
import sys
from pathlib import Path

from .figures import record

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-like-key-8f3Kq9zLw2Vx7Pr4Tn6Ym1Hb5Jc0Sd",
    "FIELD_ENCRYPTION_KEYS": "dGVzdHMtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTA=",
    "ALLOWED_HOSTS": "portail-famille.example.fr",
    "SITE_URL": "https://portail-famille.example.fr",
    "SECURE_SSL": "1",
    "PAYFIP_SIMULATOR_ENABLED": "0",
    "TRUSTED_PROXY_COUNT": "1",
}


def run_deploy_check(**overrides) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is no production setting.
        if key not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not key.startswith(("SECURE_", "PAYFIP_"))
    }
    env.update(PRODUCTION_ENV, **overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks_without_a_warning():
    result = run_deploy_check()
    output = result.stdout + result.stderr
    warnings = output.count("security.W") + output.count("security.E")
    record("check_deploy", warnings=warnings, exit_code=result.returncode)
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output


def test_the_deployment_checks_fail_when_https_is_off():
    """The check is a real gate: the same settings without HTTPS fail it."""
    result = run_deploy_check(SECURE_SSL="0")
    assert result.returncode != 0
    assert "security.W" in result.stdout + result.stderr
