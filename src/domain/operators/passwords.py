"""Password hashing (argon2) and the password policy."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import PASSWORD_POLICY, DomainError

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")

MIN_LENGTH = 10
MAX_LENGTH = 128


def check_policy(password: str, *, username: str = "", field: str = "password") -> None:
    """At least 10 characters from at least 3 of: lower case, upper case, digits, others."""
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    too_weak = (
        not MIN_LENGTH <= len(password) <= MAX_LENGTH
        or sum(classes) < 3
        or (username and username.lower() in password.lower())
    )
    if too_weak:
        raise PASSWORD_POLICY.error(field)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_off_loop(password: str) -> str:
    """`hash_password` in a worker thread: argon2 takes tens of milliseconds of CPU (and
    releases the GIL), which the event loop's other requests and stations should not wait for."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    """`verify_password` in a worker thread (see `hash_password_off_loop`)."""
    return await asyncio.to_thread(verify_password, password_hash, password)


SECRET_SCHEME = "sha256$"


def hash_secret(secret: str) -> str:
    """The stored form of a secret the system generated with `secrets` (a station's OCPP
    password: 192 random bits). Nothing there to guess, so a slow KDF protects nothing and
    SHA-256 suffices, as for session tokens; argon2 stays for passwords people choose."""
    return SECRET_SCHEME + hashlib.sha256(secret.encode()).hexdigest()


def is_fast_secret(stored: str | None) -> bool:
    return bool(stored) and str(stored).startswith(SECRET_SCHEME)


def verify_secret(stored: str, secret: str) -> bool:
    """For a `hash_secret` hash (constant time)."""
    return hmac.compare_digest(stored.encode(), hash_secret(secret).encode())


def generate_password() -> str:
    """A random password that satisfies the policy."""
    while True:
        candidate = secrets.token_urlsafe(15) + "-7aA"
        try:
            check_policy(candidate)
        except DomainError:
            continue
        return candidate


def new_token() -> tuple[str, str]:
    """A random URL-safe token and the hash under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
