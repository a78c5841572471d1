"""Schemathesis auth for the runs with a token (loaded through SCHEMATHESIS_HOOKS by harness.py).

UpdateCurrentUser changes the username, email and password of whoever sends it. Sent with the
token the run uses everywhere else, it would rename the run's own user under the stateful
phase's feet, and any token of that user other than the sending one would end at the first
valid password (the spec's Authentication). So UpdateCurrentUser is sent as a user registered
for that case alone, and every other operation as the run's own user (FUZZ_TOKEN), whose
articles the stateful phase then comments on and favorites.
"""

from __future__ import annotations

import os
import secrets

import httpx
import schemathesis
from schemathesis import AuthContext, Case

PASSWORD_CHANGING_OPERATION = "UpdateCurrentUser"


def _authorize(case: Case, token: str) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}


@schemathesis.auth(refresh_interval=None).apply_to(operation_id=PASSWORD_CHANGING_OPERATION)
class CaseOwnUser:
    """A fresh account per case: whatever the case changes is that account's alone."""

    def get(self, case: Case, context: AuthContext) -> str:
        name = f"fuzz{secrets.token_hex(6)}"
        user = {"username": name, "email": f"{name}@example.com", "password": secrets.token_hex(8)}
        response = httpx.post(
            f"{os.environ['FUZZ_API_URL']}/users", json={"user": user}, timeout=30
        )
        response.raise_for_status()
        return str(response.json()["user"]["token"])

    def set(self, case: Case, data: str, context: AuthContext) -> None:
        _authorize(case, data)


@schemathesis.auth().skip_for(operation_id=PASSWORD_CHANGING_OPERATION)
class RunUser:
    """The user the harness registered for the run."""

    def get(self, case: Case, context: AuthContext) -> str:
        return os.environ["FUZZ_TOKEN"]

    def set(self, case: Case, data: str, context: AuthContext) -> None:
        _authorize(case, data)
