"""The secrets the demo seeds, from one place: what the inventory must never store.

The demo estate and clusters carry them where real estates do (Lambda environments, container and
init-container env values, the kubectl last-applied annotation, and text with an access key id, a
`password=` pair, a password in a URL and a private key), the same on every demo day, so they add no
"changes". Each value is distinctive, so finding it anywhere in the demo's output (lake, warehouse,
logs, emails) means it leaked: tests/warehouse/test_secrets_scan.py searches for every one of `ALL`.
"""
from __future__ import annotations

# Lambda functions' Environment.Variables (every demo function): values redacted, names kept
LAMBDA_ENVIRONMENT = {
    "DB_HOST": "orders-db.prod.internal",  # not a secret, and not kept either: every variable's value is redacted
    "DB_PASSWORD": "demo-lambda-db-password-Zq81",
    "PAYMENTS_API_KEY": "demo-lambda-api-key-Vt40",
}
# shop/checkout's container env (both clusters)
CONTAINER_ENV = {"DB_USER": "checkout", "DB_PASSWORD": "demo-k8s-env-password-Hx27"}
# shop/checkout's init container (schema migrations)
INIT_CONTAINER_ENV = {"MIGRATION_TOKEN": "demo-k8s-init-token-Pw63"}
# only in the last-applied-configuration annotation of Deployment shop/checkout (an env value since changed)
APPLIED_ONLY_VALUE = "demo-k8s-applied-only-Lm52"
# in annotations of Service shop/api on prod-eks, where only the scrubber's patterns can find them
ACCESS_KEY_ID = "AKIADEMOSEEDED7X4Q2P"
PAIR_PASSWORD = "demo-k8s-pair-password-Rb94"
URL_PASSWORD = "demo-k8s-url-password-Kc38"
PRIVATE_KEY_BODY = "ZGVtby1rOHMtcHJpdmF0ZS1rZXktTnk3MQ"
PRIVATE_KEY = f"-----BEGIN PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n-----END PRIVATE KEY-----\n"

ALL: tuple[str, ...] = (
    LAMBDA_ENVIRONMENT["DB_HOST"], LAMBDA_ENVIRONMENT["DB_PASSWORD"], LAMBDA_ENVIRONMENT["PAYMENTS_API_KEY"],
    CONTAINER_ENV["DB_PASSWORD"], INIT_CONTAINER_ENV["MIGRATION_TOKEN"], APPLIED_ONLY_VALUE,
    ACCESS_KEY_ID, PAIR_PASSWORD, URL_PASSWORD, PRIVATE_KEY_BODY,
)
