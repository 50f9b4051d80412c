"""TOOL-02's fallback (scripts/pypi_advisories.py): how a package is judged from PyPI's
project-level JSON when pip-audit's per-release lookup answers 404, and how scripts/audit.py
reads pip-audit's skip reasons. The JSON below has the shape PyPI serves (info.version,
releases with their files' upload times, vulnerabilities with fixed_in and withdrawn)."""

import importlib.util
import sys
import urllib.error
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


advisories = load("pypi_advisories")
audit_script = load("audit")


def files(day, yanked=False):
    return [{"upload_time_iso_8601": f"{day}T15:21:19.000000Z", "yanked": yanked}]


DJANGO = {
    "info": {"version": "6.1.3"},
    "releases": {
        "5.2.18": files("2026-10-06"),
        "5.2.19": files("2026-11-03"),
        "6.0.10": files("2026-11-03"),
        "6.1.3": files("2026-11-03"),
        "6.2a1": files("2026-11-20"),
        "4.2.30": files("2026-04-07"),
    },
    "vulnerabilities": [],
}


def test_newest_release_is_audited_from_the_project_list():
    project = {
        "info": {"version": "2.0"},
        "releases": {"2.0": files("2026-01-01")},
        "vulnerabilities": [
            {"id": "PYSEC-1", "fixed_in": []},
            {"id": "GHSA-2", "fixed_in": ["2.0.1"]},
            {"id": "PYSEC-3", "fixed_in": [], "withdrawn": "2026-02-01T00:00:00"},
        ],
    }
    verdict = advisories.classify("lib", "2.0", project)
    assert verdict.kind == advisories.AUDITED
    assert verdict.vulnerabilities == ["PYSEC-1", "GHSA-2"]
    assert verdict.unfixed == ["PYSEC-1"]


def test_newest_lts_patch_published_with_the_newest_release_is_current_in_its_series():
    verdict = advisories.classify("django", "5.2.19", DJANGO)
    assert verdict.kind == advisories.CURRENT_IN_SERIES
    assert verdict.reason == "newest 5.2 release, published 2026-11-03 with 6.1.3"
    assert verdict.vulnerabilities == []


def test_an_older_patch_of_a_series_cannot_be_vouched_for():
    verdict = advisories.classify("django", "5.2.18", DJANGO)
    assert verdict.kind == advisories.UNVERIFIABLE
    assert verdict.reason == "5.2.19 is out in the same series"


def test_a_later_patch_that_was_yanked_does_not_count():
    project = {
        **DJANGO,
        "releases": {**DJANGO["releases"], "5.2.20": files("2026-11-10", yanked=True)},
    }
    assert advisories.classify("django", "5.2.19", project).kind == advisories.CURRENT_IN_SERIES


def test_a_series_left_behind_is_unverifiable():
    verdict = advisories.classify("django", "4.2.30", DJANGO)
    assert verdict.kind == advisories.UNVERIFIABLE
    assert "published apart from 6.1.3" in verdict.reason


def test_a_version_pypi_does_not_have_is_unverifiable():
    assert advisories.classify("django", "5.2.99", DJANGO).reason == "not a release on PyPI"


def test_audit_asks_each_project_and_survives_an_unreachable_pypi():
    def fetch(name):
        if name == "down":
            raise urllib.error.URLError("timed out")
        return DJANGO

    verdicts = advisories.audit([("django", "6.1.3"), ("down", "1.0")], fetch=fetch)
    assert [(v.name, v.kind) for v in verdicts] == [
        ("django", advisories.AUDITED),
        ("down", advisories.UNVERIFIABLE),
    ]
    assert verdicts[1].reason.startswith("PyPI did not answer")


@pytest.mark.parametrize(
    ("reason", "version"),
    [
        ("Dependency not found on PyPI and could not be audited: django (5.2.19)", "5.2.19"),
        (
            "Dependency not found on PyPI and could not be audited: certifi (2026.10.19.post1)",
            "2026.10.19.post1",
        ),
        ("distribution marked as editable", None),
    ],
)
def test_audit_script_reads_the_version_out_of_pip_audit_skip_reasons(reason, version):
    match = audit_script.NOT_FOUND_ON_PYPI.search(reason)
    assert (match["version"] if match else None) == version


def test_the_supply_chain_row_names_what_it_could_not_check():
    result = {
        "pip_audit_audited": 0,
        "pip_audit_skipped": 3,
        "audited": 1,
        "vulnerable": 0,
        "unfixed": 0,
        "probe": "https://pypi.org/pypi/Django/5.2.19/json answers HTTP 404",
        "current_in_series": [
            "django 5.2.19 (newest 5.2 release, published 2026-11-03 with 6.1.3)"
        ],
        "unverifiable": ["old 1.0 (not a release on PyPI)"],
    }
    text = audit_script.pip_status(result)
    assert text.startswith("0 unfixed, 0 vulnerable of 1 audited")
    assert "answers HTTP 404" in text
    assert "newest of a maintained series: django 5.2.19" in text
    assert text.endswith("NOT CHECKED: old 1.0 (not a release on PyPI)")
