"""Backups of the portal that can be proven to restore: the database (PostgreSQL through
``pg_dump --format=custom``, SQLite through its online backup API) and the media files, in one
directory with a manifest (``manifest.json``) that says what the backup must give back.

The manifest holds, for every table, its row count and a SHA-256 of its rows read in primary
key order; for every media file its size and SHA-256; the applied migrations; and fingerprints
of the encryption keys in use (never the keys: they are backed up apart, see
docs/operations.md). ``verify()`` recomputes all of it on a restored database and storage, and
decrypts every encrypted value and file there, so a restore is checked, not assumed.
"""

from .archive import (
    dump,
    is_empty,
    pg_environment,
    recreate_postgresql,
    restore,
    run_pg_tool,
    scratch_database,
    wipe,
)
from .content import (
    MANIFEST,
    MEDIA,
    BackupError,
    database_file_intact,
    key_fingerprints,
    media_names,
    opened,
    read_manifest,
    rpo_hours,
)
from .drill import Report, drill, verify

__all__ = [
    "MANIFEST",
    "MEDIA",
    "BackupError",
    "Report",
    "database_file_intact",
    "drill",
    "dump",
    "is_empty",
    "key_fingerprints",
    "media_names",
    "opened",
    "pg_environment",
    "read_manifest",
    "recreate_postgresql",
    "restore",
    "rpo_hours",
    "run_pg_tool",
    "scratch_database",
    "verify",
    "wipe",
]
