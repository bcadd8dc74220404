"""aws/errors.py: sorting exceptions into denied / failed, and masking secrets in messages."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from cloud_inventory.aws.errors import classify, error_code, redact
from cloud_inventory.redaction import MARKER


def client_error(code, status=400, message="", operation="DescribeInstances"):
    return ClientError({"Error": {"Code": code, "Message": message or code},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
                                  "OptInRequired", "UnrecognizedClientException", "InvalidClientTokenId"])
def test_not_allowed_or_not_enabled_is_denied(code):
    status, error_class, message = classify(client_error(code, 403))
    assert (status, error_class) == ("denied", code)
    assert code in message


@pytest.mark.parametrize("error", [
    client_error("Throttling"),
    client_error("ThrottlingException"),
    client_error("RequestLimitExceeded", 503),
    client_error("InternalError", 500),
    client_error("ServiceUnavailable", 503),
    EndpointConnectionError(endpoint_url="https://ec2.eu-west-1.amazonaws.com/"),
    ConnectTimeoutError(endpoint_url="https://ec2.eu-west-1.amazonaws.com/"),
    ReadTimeoutError(endpoint_url="https://ec2.eu-west-1.amazonaws.com/"),
    ConnectionResetError("connection reset by peer"),
    ValueError("ec2_instance: item has no id"),
], ids=lambda error: type(error).__name__ + (":" + error_code(error) if isinstance(error, ClientError) else ""))
def test_everything_else_is_failed(error):
    status, error_class, _ = classify(error)
    assert status == "failed"
    assert error_class == error_code(error)


def test_error_class_of_network_errors_is_the_exception_name():
    assert classify(EndpointConnectionError(endpoint_url="https://x"))[1] == "EndpointConnectionError"


def test_a_denied_code_outside_a_client_error_is_not_denied():
    class Odd(Exception):
        code = "AccessDenied"

    assert classify(Odd("boom"))[0] == "failed"


def test_classify_redacts_and_bounds_the_message():
    error = client_error("AccessDenied", message="user AKIAIOSFODNN7EXAMPLE is not authorized " + "x" * 5000)
    _, _, message = classify(error)
    assert "AKIAIOSFODNN7EXAMPLE" not in message and f"AKIA{MARKER}" in message
    assert len(message) <= 2000


@pytest.mark.parametrize("text, secret", [
    ("key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    ("temporary ASIAY34FZKBOKMUTVV7A used", "ASIAY34FZKBOKMUTVV7A"),
    ("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("SecretKey=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY&x=1", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
     "&X-Amz-Date=20250314T000000Z", "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"),
    ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250314/us-east-1/ec2/aws4_request, "
     "SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
     "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"),
    ("X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD&x=1",
     "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD"),
    ("{'SessionToken': 'FwoGZXIvYXdzEJr//////////wEaDNmEXAMPLETOKEN', 'x': 1}", "FwoGZXIvYXdzEJr//////////wEaDNmEXAMPLETOKEN"),
    ('aws_secret_access_key = "abc123/secret+value"', "abc123/secret+value"),
    ("password: hunter2hunter2", "hunter2hunter2"),
])
def test_redact_masks_secrets(text, secret):
    masked = redact(text)
    assert secret not in masked
    assert MARKER in masked


def test_redact_leaves_longer_tokens_alone():
    # a 40-character run inside a longer base64 value is not a secret key on its own
    text = "etag=" + "A" * 60
    assert redact(text) == text


def test_redact_keeps_ordinary_text():
    text = ("An error occurred (AccessDenied) when calling the DescribeInstances operation: "
            "arn:aws:sts::123456789012:assumed-role/InventoryReadOnly/cloud-inventory is not authorized "
            "to perform ec2:DescribeInstances on i-0a1b2c3d4e5f60718")
    assert redact(text) == text


def test_a_service_without_an_endpoint_in_the_region_is_denied_as_unsupported():
    """A region that lacks a service has no host name for it; botocore fails to resolve it."""
    import boto3
    from botocore.config import Config

    client = boto3.client("sagemaker", region_name="us-east-1", endpoint_url="https://api.sagemaker.region.invalid",
                          config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(Exception) as raised:
        client.list_endpoints()
    assert classify(raised.value)[:2] == ("denied", "UnsupportedInRegion")


def test_a_refused_connection_is_a_failure_to_retry():
    import boto3
    from botocore.config import Config

    client = boto3.client("sagemaker", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                          config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(Exception) as raised:
        client.list_endpoints()
    assert classify(raised.value)[0] == "failed"
