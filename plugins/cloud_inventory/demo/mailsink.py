"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: the demo's mail catcher and the
email tests' server. With `folder`, each message is also saved there as <n>.eml and <n>.html."""
from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


class _Collect:
    def __init__(self, folder: Path | None) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            if self.folder is not None:
                number = len(self.messages)
                (self.folder / f"{number:03d}.eml").write_bytes(raw)
                (self.folder / f"{number:03d}.html").write_text(html_of(message))
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, folder: Path | None = None) -> None:
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self.handler = _Collect(folder)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()

    def connection_uri(self) -> str:
        return smtp_connection(self.port)


def smtp_connection(port: int) -> str:
    """AIRFLOW_CONN_SMTP_DEFAULT for a plain loopback server: no TLS, one attempt, short timeout."""
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port,
                       "extra": {"disable_tls": True, "disable_ssl": True, "timeout": 5, "retry_limit": 0}})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html", "plain"))
    return part.get_content() if part is not None else ""
