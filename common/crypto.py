"""Secrets at rest (users' model keys): Fernet under a rotatable list of keys.

``FIELD_ENCRYPTION_KEY`` is a comma-separated list of Fernet keys, newest first
(``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``).
:func:`encrypt` always uses the newest; :func:`decrypt` tries each, so a key can be rotated by
putting a new one in front, running ``manage.py rotate_encryption_keys`` (which re-encrypts
every stored value under it), then dropping the old one.
https://cryptography.io/en/latest/fernet/#cryptography.fernet.MultiFernet
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt", "encrypt", "rotate"]


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty: set one Fernet key (or several, newest first)")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        # The message names no key: it is a secret.
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key") from None


def _fernet() -> MultiFernet:
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEY))


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext; InvalidToken if no configured key opens it."""
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """The same plaintext encrypted under the newest key (its original timestamp kept)."""
    return _fernet().rotate(token.encode()).decode()
