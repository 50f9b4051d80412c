"""What PyPI says of the installed packages' vulnerabilities when pip-audit cannot ask it.

pip-audit's PyPI service reads https://pypi.org/pypi/<name>/<version>/json. On this project's
machines that address answers 404 for every release, while the package index and the
project-level JSON (https://pypi.org/pypi/<name>/json) answer. The project-level JSON lists the
known vulnerabilities of the project's newest release only, so:

- a package installed at its newest release is audited from that list (« audited »);
- a package installed at the newest release of an older series (Django's LTS) that the project
  published together with its newest release (within ``SAME_RELEASE`` of it, as Django publishes
  a security fix on every supported series the same day) is « current in its series »: PyPI
  gives no list for it, and the figure says so instead of counting it as audited;
- anything else cannot be checked here (« unverifiable »).

scripts/audit.py calls ``audit`` for the packages pip-audit skipped.
"""

import concurrent.futures
import datetime
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

PROJECT_JSON = "https://pypi.org/pypi/{name}/json"
SAME_RELEASE = datetime.timedelta(days=2)

AUDITED = "audited"
CURRENT_IN_SERIES = "current in its series"
UNVERIFIABLE = "unverifiable"


@dataclass
class Verdict:
    name: str
    version: str
    kind: str
    newest: str = ""
    vulnerabilities: list[str] = field(default_factory=list)
    unfixed: list[str] = field(default_factory=list)
    reason: str = ""


def _uploaded(files: list[dict]) -> datetime.datetime | None:
    times = [f.get("upload_time_iso_8601") or f.get("upload_time") for f in files]
    times = [t for t in times if t]
    if not times:
        return None
    return min(datetime.datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times)


def _final(version: str) -> Version | None:
    try:
        parsed = Version(version)
    except InvalidVersion:
        return None
    return None if parsed.is_prerelease or parsed.is_devrelease else parsed


def classify(name: str, version: str, project: dict) -> Verdict:
    """The verdict for ``name`` installed at ``version``, from its project-level JSON."""
    newest = project["info"]["version"]
    if version == newest:
        live = [v for v in project.get("vulnerabilities", []) if not v.get("withdrawn")]
        return Verdict(
            name,
            version,
            AUDITED,
            newest,
            vulnerabilities=[v["id"] for v in live],
            unfixed=[v["id"] for v in live if not v.get("fixed_in")],
        )
    releases = project.get("releases", {})
    installed = _final(version)
    if installed is None or version not in releases:
        return Verdict(name, version, UNVERIFIABLE, newest, reason="not a release on PyPI")
    series = (installed.major, installed.minor)
    later_in_series = [
        other
        for other in releases
        if (parsed := _final(other)) is not None
        and (parsed.major, parsed.minor) == series
        and parsed > installed
        and not all(f.get("yanked") for f in releases[other] or [{}])
    ]
    if later_in_series:
        return Verdict(
            name,
            version,
            UNVERIFIABLE,
            newest,
            reason=f"{max(later_in_series, key=Version)} is out in the same series",
        )
    published, newest_published = _uploaded(releases[version]), _uploaded(releases.get(newest, []))
    if published and newest_published and abs(newest_published - published) <= SAME_RELEASE:
        return Verdict(
            name,
            version,
            CURRENT_IN_SERIES,
            newest,
            reason=f"newest {series[0]}.{series[1]} release, published "
            f"{published:%Y-%m-%d} with {newest}",
        )
    return Verdict(
        name,
        version,
        UNVERIFIABLE,
        newest,
        reason=f"newest of its series but published apart from {newest} (maybe unmaintained)",
    )


def fetch(name: str) -> dict:
    url = PROJECT_JSON.format(name=name)
    if not url.startswith("https://"):
        raise ValueError(url)
    with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 (https only)
        return json.load(response)


def audit(packages: list[tuple[str, str]], fetch=fetch) -> list[Verdict]:
    """One verdict per (name, installed version), asking PyPI 8 at a time."""

    def one(package: tuple[str, str]) -> Verdict:
        name, version = package
        try:
            return classify(name, version, fetch(name))
        except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
            return Verdict(name, version, UNVERIFIABLE, reason=f"PyPI did not answer ({error})")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, packages))
