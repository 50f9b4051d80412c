"""AUTH-05 figures (SECURITY.md part 4, « Hashing »): the production hasher's time per hash
and a process's peak memory while 16 logins hash at once, against the budget written in
docs/operations.md (« Hashing budget »)."""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.contrib.auth.hashers import check_password, get_hasher, make_password

import config.settings as production_settings

from .figures import record

BUDGET_P95_MS = 500
BUDGET_RSS_MB = 512
RUNS = 40
CONCURRENT_LOGINS = 16
ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh process with the production settings: 16 threads check a password at the
# same moment (argon2 releases the GIL, so the 16 memory blocks exist together), then the
# process reports its peak resident memory.
# The peak is the kernel's high-water mark of this process's memory (VmHWM): getrusage's
# ru_maxrss would start at the pytest process's own size, which Linux keeps across the exec.
CONCURRENT_SCRIPT = """
import json, sys, threading
import django
django.setup()
from django.contrib.auth.hashers import check_password, make_password

def high_water_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

encoded = make_password("Soleil-Matin-42")
before = high_water_kib()
count = int(sys.argv[1])
barrier = threading.Barrier(count)
results = []

def login():
    barrier.wait()
    results.append(check_password("Pas-Le-Bon-1", encoded))

threads = [threading.Thread(target=login) for _ in range(count)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
after = high_water_kib()
print(json.dumps({"before_kib": before, "peak_kib": after, "checked": len(results),
                  "accepted": sum(results), "hasher": encoded.split("$")[0]}))
"""


def percentile(values, fraction):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def peak_rss_during_concurrent_logins(count):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(  # noqa: S603 (this interpreter running a fixed script)
        [sys.executable, "-c", CONCURRENT_SCRIPT, str(count)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_hashing_stays_within_its_time_and_memory_budget(settings):
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    hasher = get_hasher()
    encoded = make_password("Soleil-Matin-42")
    assert encoded.startswith("argon2$argon2id$")
    assert f"m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}" in encoded

    # The machine is shared: a round whose 95th percentile is over budget is measured again,
    # up to 3 rounds (the CPU time, which other processes do not inflate, is printed too).
    for _round in range(3):
        timings, cpu_timings = [], []
        for run in range(RUNS):
            started, cpu_started = time.perf_counter(), time.thread_time()
            if run % 2:
                make_password("Soleil-Matin-42")
            else:
                assert not check_password("Pas-Le-Bon-1", encoded)
            timings.append((time.perf_counter() - started) * 1000)
            cpu_timings.append((time.thread_time() - cpu_started) * 1000)
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        print(
            f"hashing: p50 {p50:.0f} ms, p95 {p95:.0f} ms over {RUNS} hashes (CPU time p50 "
            f"{statistics.median(cpu_timings):.0f} ms, p95 {percentile(cpu_timings, 0.95):.0f} ms)"
        )
        if p95 <= BUDGET_P95_MS:
            break

    concurrent = peak_rss_during_concurrent_logins(CONCURRENT_LOGINS)
    peak_mb = concurrent["peak_kib"] / 1024

    at_rest_mb = concurrent["before_kib"] / 1024
    # On a busy machine some threads finish before others start: the budget must also hold
    # with the 16 memory blocks all there at once.
    all_at_once_mb = at_rest_mb + CONCURRENT_LOGINS * hasher.memory_cost / 1024
    print(
        f"hashing: peak RSS {peak_mb:.0f} MB with {CONCURRENT_LOGINS} concurrent logins "
        f"(process at rest {at_rest_mb:.0f} MB; with all 16 blocks at once {all_at_once_mb:.0f} MB)"
    )
    record(
        "hashing",
        p50_ms=round(p50, 1),
        p95_ms=round(p95, 1),
        peak_rss_mb_16_logins=round(peak_mb, 1),
        rss_mb_16_blocks_at_once=round(all_at_once_mb, 1),
        memory_cost_kib=hasher.memory_cost,
        time_cost=hasher.time_cost,
        parallelism=hasher.parallelism,
        budget_p95_ms=BUDGET_P95_MS,
        budget_rss_mb=BUDGET_RSS_MB,
        within_budget=p95 <= BUDGET_P95_MS and max(peak_mb, all_at_once_mb) <= BUDGET_RSS_MB,
    )
    assert concurrent["hasher"] == "argon2"
    assert concurrent["checked"] == CONCURRENT_LOGINS
    assert concurrent["accepted"] == 0
    # The logins did overlap: the peak is above the process at rest by at least half of the
    # 16 memory blocks (otherwise the measure says nothing).
    assert concurrent["peak_kib"] - concurrent["before_kib"] > 8 * hasher.memory_cost
    assert all_at_once_mb <= BUDGET_RSS_MB
    assert p95 <= BUDGET_P95_MS
    assert peak_mb <= BUDGET_RSS_MB


def test_hashes_made_with_djangos_parameters_are_rehashed_at_the_next_login(settings):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from tests.factories import UserFactory

    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    user = UserFactory()
    user.password = Argon2PasswordHasher().encode("Soleil-Matin-42", "abcdefghijklmnopqrstuv")
    user.save(update_fields=["password"])
    assert "m=102400,t=2,p=8" in user.password

    assert user.check_password("Soleil-Matin-42")

    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password
    assert user.check_password("Soleil-Matin-42")
