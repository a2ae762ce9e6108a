"""Encryption at rest for secrets Bearman must read back (BMC passwords)."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from bearman.errors import SecretUnreadable


@cache
def _keyring() -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in settings.BEARMAN_FERNET_KEYS])


def encrypt_secret(plaintext: str) -> str:
    """The Fernet token for `plaintext`, encrypted with the first configured key."""
    return _keyring().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    """The plaintext behind a token made by `encrypt_secret` with any configured key."""
    try:
        return _keyring().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: BEARMAN_FERNET_KEYS does not hold the key "
            "it was encrypted with."
        ) from None
