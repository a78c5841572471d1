"""Abuse limits: Login and CreateUser rate limited per client address, failed logins per account.

Flask-Limiter counts, in process memory or in Redis when REDIS_URL is set (config.py sets its
storage), over a moving window. The limits are read from the config on each request, so the
settings (and tests) decide them; a breach raises Flask-Limiter's RateLimitExceeded, which
errors.py answers with the spec's 429. When Redis fails, Flask-Limiter's in-memory fallback
(config.py turns it on) counts in this process with the same limits until Redis answers a
check again; its one warning per outage gets the store and the error from `StoreOutageFields`.
"""

import hashlib
import ipaddress
import logging
import math
import sys
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, has_app_context, request
from flask_limiter import Limiter

from flask_app.models import canonical_email

TrustedProxies = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]


def forwarded_client(peer: str, forwarded_for: str, trusted: TrustedProxies) -> str:
    """The client behind trusted proxies: the peer itself unless it is trusted, else the
    right-most X-Forwarded-For address that is not (each proxy appends the one it saw)."""
    address = peer
    hops = [hop.strip() for hop in forwarded_for.split(",")] if forwarded_for else []
    while _is_trusted(address, trusted) and hops:
        address = hops.pop()
    return address


def _is_trusted(address: str, trusted: TrustedProxies) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address() -> str:
    """The key of the per-address limits (TRUSTED_PROXIES says whose X-Forwarded-For counts)."""
    return forwarded_client(
        request.remote_addr or "",
        ",".join(request.headers.getlist("X-Forwarded-For")),
        current_app.config["TRUSTED_PROXIES"],
    )


def login_account() -> str:
    """The key of the per-account limit: the email of the login body, trimmed as the schema
    trims it, canonical_email() as Login matches it (so every spelling that signs in to one
    account counts against it), hashed (a key of fixed length, and no email in the storage or
    in Flask-Limiter's log). It runs before the schema, hence the body read by hand."""
    body = request.get_json(silent=True)
    user = body.get("user") if isinstance(body, dict) else None
    email = user.get("email") if isinstance(user, dict) else None
    if not isinstance(email, str):
        return ""
    return hashlib.sha256(canonical_email(email.strip()).encode()).hexdigest()


def _no_account() -> bool:
    """A body without an email string is for validation to refuse; no account to count."""
    return not login_account()


def _login_failed(response: Response) -> bool:
    """Only wrong credentials count against an account, never a successful login."""
    return response.status_code == 401


def retry_after() -> int:
    """Whole seconds until the breached limit's window lets an attempt through again."""
    breached = limiter.current_limit
    # The window's own reset time: RequestLimit.reset_at rounds it up to the next second.
    reset_at = breached.window.reset_time if breached else time.time() + 1
    return max(1, math.ceil(reset_at - time.time()))


def store_name(url: str) -> str:
    """The counters' store as a log names it: its address and database, never its password."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class StoreOutageFields(logging.Filter):
    """Adds the store and the error's class to Flask-Limiter's "falling back" warning, which
    names neither: it is logged in the `except` block that caught the storage's error."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = sys.exc_info()[1]
        if record.levelno == logging.WARNING and error is not None and has_app_context():
            record.fields = {
                **getattr(record, "fields", {}),
                "store": store_name(current_app.config["RATELIMIT_STORAGE_URI"]),
                "error": type(error).__name__,
            }
        return True


store_outage_fields = StoreOutageFields()


def init_limits(app: Flask) -> None:
    """Flask-Limiter on the app, its outage warning with the fields an operator needs."""
    limiter.init_app(app)
    logging.getLogger("flask-limiter").addFilter(store_outage_fields)  # once: same filter


limiter = Limiter(key_func=client_address, strategy="moving-window")

limit_login_by_address = limiter.limit(
    lambda: str(current_app.config["RATE_LIMIT_LOGIN_ADDRESS"]), key_func=client_address
)
limit_failed_logins_by_account = limiter.limit(
    lambda: str(current_app.config["RATE_LIMIT_LOGIN_ACCOUNT"]),
    key_func=login_account,
    exempt_when=_no_account,
    deduct_when=_login_failed,
)
limit_registration_by_address = limiter.limit(
    lambda: str(current_app.config["RATE_LIMIT_REGISTER_ADDRESS"]), key_func=client_address
)
