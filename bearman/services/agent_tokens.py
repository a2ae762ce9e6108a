"""Agent tokens: one per Baremetal run, handed out once, stored only as a hash."""

import hashlib
import hmac
import secrets

from django.conf import settings

from bearman.errors import AgentTokenForbidden, AgentTokenMissing
from bearman.models import Baremetal


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def agent_token_new() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def is_enrollment_token(token: str) -> bool:
    """True when `token` is the site's enrollment token (compared in constant time)."""
    return bool(token) and hmac.compare_digest(
        token.encode(), settings.BEARMAN_ENROLLMENT_TOKEN.encode()
    )


def require_enrollment_token(token: str) -> None:
    if not token:
        raise AgentTokenMissing("This call needs the enrollment token (authorization: Bearer …).")
    if not is_enrollment_token(token):
        raise AgentTokenMissing("The enrollment token is wrong.")


def baremetal_for_token(*, uuid: str, token: str) -> Baremetal:
    """The Baremetal this agent token was issued for, which must be node `uuid`'s."""
    if not token:
        raise AgentTokenMissing("This call needs the Baremetal's agent token from GetProfile.")
    try:
        # get(), not first(): ordering what only one row can match costs a call's time.
        baremetal = Baremetal.objects.select_related("node", "node__flavor").get(
            agent_token_hash=token_hash(token)
        )
    except Baremetal.DoesNotExist:
        raise AgentTokenMissing("Unknown or expired agent token.") from None
    if baremetal.node.uuid != uuid:
        raise AgentTokenForbidden(f"This agent token belongs to another node, not {uuid}.")
    return baremetal
