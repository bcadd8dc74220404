"""digest.send through real SMTP servers on loopback (aiosmtpd): STARTTLS and a login as the connection says, both
alternatives delivered, a failed attempt retried on a new connection up to the connection's retry_limit, and no
login over a connection whose extra turns TLS off when the server wants TLS first."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import smtplib
import ssl
import threading
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from cloud_inventory.demo.mailsink import free_port
from cloud_inventory.quality.digest import send

USER, PASSWORD = "digest", "s3cret-for-the-test"


class Server:
    """Keeps what it receives; refuses the first `refuse` DATA commands with a transient error; counts logins."""

    def __init__(self, refuse: int = 0) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[tuple[str, bool]] = []  # (user, over TLS)
        self.refuse = refuse
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "451 Try again later"
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                          policy=email.policy.default))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
            and auth_data.password.decode() == PASSWORD
        if ok:
            self.logins.append((USER, session.ssl is not None))
        return AuthResult(success=ok)


def self_signed(folder) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def message() -> MIMEMultipart:
    found = MIMEMultipart("alternative")
    found["Subject"], found["From"], found["To"] = "[cloud-inventory] test", "ci@example.com", "a@example.com, b@x.org"
    found.attach(MIMEText("plain words", "plain", "utf-8"))
    found.attach(MIMEText("<p>html words</p>", "html", "utf-8"))
    return found


def connection(port: int, **extra) -> str:
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "login": USER, "password": PASSWORD,
                       "extra": {"disable_ssl": True, "timeout": 5, "retry_limit": 0, **extra}})


@pytest.fixture
def tls_server(tmp_path):
    handler = Server()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=self_signed(tmp_path),
                            require_starttls=True, authenticator=handler.authenticate, auth_required=True)
    controller.start()
    yield handler, port
    controller.stop()


def test_starttls_then_login_then_both_alternatives(tls_server, monkeypatch):
    handler, port = tls_server
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", connection(port, ssl_context="none"))  # self-signed: unchecked
    send(message())
    assert handler.logins == [(USER, True)]
    (received,) = handler.messages
    assert received["To"] == "a@example.com, b@x.org"
    assert received.get_body(("plain",)).get_content().strip() == "plain words"
    assert received.get_body(("html",)).get_content().strip() == "<p>html words</p>"


def test_certificate_is_checked_unless_the_connection_says_none(tls_server, monkeypatch):
    _, port = tls_server
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", connection(port))
    with pytest.raises(ssl.SSLCertVerificationError):
        send(message())


def test_without_tls_the_server_refuses_before_any_login(tls_server, monkeypatch):
    handler, port = tls_server
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", connection(port, disable_tls=True))
    with pytest.raises(smtplib.SMTPException):
        send(message())
    assert handler.logins == [] and handler.messages == []


@pytest.mark.parametrize(("refused", "retry_limit", "delivered"), [(2, 2, 1), (2, 1, 0)])
def test_a_refused_send_is_retried_up_to_the_retry_limit(monkeypatch, refused, retry_limit, delivered):
    handler = Server(refuse=refused)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, auth_require_tls=False,
                            authenticator=handler.authenticate)
    controller.start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT",
                           connection(port, disable_tls=True, retry_limit=retry_limit))
        if delivered:
            send(message())
        else:
            with pytest.raises(smtplib.SMTPDataError):
                send(message())
    finally:
        controller.stop()
    assert len(handler.messages) == delivered
    assert len(handler.logins) == retry_limit + 1  # each attempt on a connection of its own
