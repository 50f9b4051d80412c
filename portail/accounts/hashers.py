from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's parameters (Password Storage Cheat Sheet: 19 MiB, 2 passes, 1
    lane) instead of Django's 100 MiB and 8 lanes.

    The budget (docs/operations.md, « Hashing budget »): a hash takes at most 500 ms at the
    95th percentile on a 2-core node, and 16 logins at once in one process stay under 512 MB.
    At Django's parameters 16 logins need 1.6 GiB and a login hashes for about a second on a
    busy 2-core machine, so a burst of logins could exhaust a node's memory. The algorithm's
    name stays « argon2 »: existing hashes still verify, and are rehashed with these
    parameters at the next successful login (``must_update``)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
