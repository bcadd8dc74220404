"""Sorting an extraction's outcome into ok / denied / failed, and keeping secrets out of messages.

`denied` means we were not allowed or not able to look (access denied, region not enabled,
service not offered there): recorded, never retried, never read as "no resources".
Anything else is `failed`: the task fails after the pair's other types are written, and Airflow retries.
"""
from __future__ import annotations

import socket

from botocore.exceptions import ClientError, EndpointConnectionError

from cloud_inventory.redaction import scrub_message

DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
    "AuthorizationError", "AuthorizationErrorException", "Forbidden",
    # A region the account has not opted into answers with one of these.
    "AuthFailure", "OptInRequired", "UnrecognizedClientException", "InvalidClientTokenId",
    # The service or operation is not offered there.
    "SubscriptionRequiredException", "UnsupportedOperation", "InvalidAction", "UnknownOperationException",
})


def redact(text: str) -> str:
    """Mask access keys, secret keys, tokens and signatures that an error text might echo (the rows' scrubber)."""
    return scrub_message(text)


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") or type(error).__name__
    return getattr(error, "code", None) or type(error).__name__


def endpoint_does_not_exist(error: BaseException) -> bool:
    """The service has no endpoint in that region: its host name does not resolve (EAI_NONAME).

    Only meaningful after the role was assumed through the same network: a general outage fails there first.
    """
    if not isinstance(error, EndpointConnectionError):
        return False
    cause = error.kwargs.get("error")
    while cause is not None:
        if isinstance(cause, socket.gaierror) and cause.errno == socket.EAI_NONAME:
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def classify(error: BaseException) -> tuple[str, str, str]:
    """(status, error class, message) of an exception raised while extracting a resource type."""
    if endpoint_does_not_exist(error):
        return "denied", "UnsupportedInRegion", redact(str(error))[:2000]
    code = error_code(error)
    status = "denied" if isinstance(error, ClientError) and code in DENIED_CODES else "failed"
    return status, code, redact(str(error))[:2000]
