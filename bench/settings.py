"""The portal's settings for bench/load.py's servers, plus one thing: the bare « hello » view
(bench/urls.py) that measures the ceiling — Django, its middleware and gunicorn answering
without touching the database. Only the benchmark uses this module."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
