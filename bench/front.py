"""One AWS endpoint in front of several emulator processes, so the server side is not what a benchmark measures.

moto serves every request of a process under one lock-free but GIL-bound Python interpreter; one process
answering 8 concurrent clients becomes the bottleneck long before AWS would. The front spreads the estate
over several emulator processes (``cloud_inventory.demo.emulator``, each with its own moto, stats and
gap fillers) by account and adds the latency itself:

* ``sts:AssumeRole`` goes to the process of the account in its ``RoleArn``; the ``AccessKeyId`` of the answer
  is remembered as that account's, so every request signed with it (SigV4 ``Credential=<key>/...``) goes to
  the same process, which alone knows the key (moto maps keys to accounts in-process).
* Anything else (the caller's own keys) goes to the first process.
* ``latency_s`` is slept before a request is forwarded (threaded: concurrent requests are not serialised).

Requests per "client:Action" are each emulator's own ``/_emulator/stats``, summed by ``Backends``; the front
counts requests per account.
Loopback only; a thread per client connection, a kept-alive connection per (thread, process).
"""
from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloud_inventory.demo.emulator import Emulator

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_ACCESS_KEY_ID = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
CALLER = "caller"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class Backends:
    """Emulator processes, one per group of accounts (account i goes to process i mod n)."""

    def __init__(self, accounts: list[str], processes: int) -> None:
        self.emulators = [Emulator(latency_ms=0) for _ in range(max(1, min(processes, len(accounts))))]
        self.of_account = {account: i % len(self.emulators) for i, account in enumerate(accounts)}

    def __enter__(self) -> "Backends":
        try:
            with ThreadPoolExecutor(len(self.emulators)) as pool:
                list(pool.map(Emulator.start, self.emulators))
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        for emulator in self.emulators:
            emulator.stop()

    def reset_stats(self) -> None:
        for emulator in self.emulators:
            emulator.reset_stats()

    def stats(self) -> dict:
        """Requests per "client:Action" over every process, and each process's CPU seconds since its start."""
        by_action: Counter = Counter()
        for emulator in self.emulators:
            by_action.update(emulator.stats()["by_action"])
        return {"total": sum(by_action.values()), "by_action": by_action,
                "cpu_s": [emulator.timing()["process_cpu_seconds"] for emulator in self.emulators]}


class Front(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, backends: Backends) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.backends = backends
        self.targets = [urllib.parse.urlsplit(emulator.url).netloc for emulator in backends.emulators]
        self.key_account: dict[str, str] = {}
        self.latency_s = 0.0
        self.by_account: Counter = Counter()  # requests per account ("caller": the caller's own keys)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._thread = threading.Thread(target=self.serve_forever, name="aws-front", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "Front":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    def connection(self, target: int) -> http.client.HTTPConnection:
        connections = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        if target not in connections:
            connections[target] = http.client.HTTPConnection(self.targets[target], timeout=600)
        return connections[target]

    def drop(self, target: int) -> None:
        self._local.connections.pop(target).close()

    def account_of(self, headers, body: bytes) -> tuple[str, bool]:
        """(the account the request is for, whether it is an AssumeRole whose answer names a new key)."""
        if b"Action=AssumeRole" in body:
            arn = urllib.parse.parse_qs(body.decode()).get("RoleArn", [""])[0].split(":")
            if len(arn) > 4 and arn[4] in self.backends.of_account:
                return arn[4], True
        key = _CREDENTIAL.search(headers.get("Authorization", ""))
        return (self.key_account.get(key.group(1), CALLER) if key else CALLER), False

    def reset_counts(self) -> None:
        with self._lock:
            self.by_account.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    server: Front

    def log_message(self, *args) -> None:  # no access log per request
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        account, assume_role = self.server.account_of(self.headers, body)
        target = self.server.backends.of_account.get(account, 0)
        if self.server.latency_s:
            time.sleep(self.server.latency_s)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        for attempt in (1, 2):  # a kept-alive connection the emulator closed is opened again once
            connection = self.server.connection(target)
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.server.drop(target)
                if attempt == 2:
                    raise
        with self.server._lock:
            self.server.by_account[account] += 1
        if assume_role and response.status == 200:
            key = _ACCESS_KEY_ID.search(payload)
            if key:
                self.server.key_account[key.group(1).decode()] = account
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        length = response.getheader("Content-Length") if self.command == "HEAD" else str(len(payload))
        if length is not None:
            self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward
