"""The password hasher: Argon2id with the same cost as the Flask and FastAPI apps."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """OWASP's recommended minimum (19 MiB, 2 passes, 1 lane) instead of Django's heavier default.

    The three apps hash with identical parameters so that benchmarks compare frameworks, not
    hashing costs. Hashes keep the "argon2" algorithm name, so Django's own hasher still verifies
    them and `must_update()` re-hashes ones made with other parameters at the next login.
    """

    time_cost = 2
    memory_cost = 19456
    parallelism = 1
