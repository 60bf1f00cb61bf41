"""Real servers for the notice channels, run in the test process: an SMTP server (aiosmtpd) that keeps what it is
sent, or refuses it; an HTTP receiver for the work-chat robot that checks the signature as DingTalk does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps each message (parsed), or answers 451 while ``refuse`` is set."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 (aiosmtpd's hook name)
        if self.refuse:
            return "451 4.3.0 Mailbox temporarily unavailable"
        msg = message_from_bytes(envelope.content, policy=policy.default)
        msg["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in m["X-Envelope-To"].split(",")]


class SmtpServer:
    """A real SMTP server on a loopback port for the duration of a ``with``."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def env(self) -> dict[str, str]:
        return {"GONGWUCANG_SMTP_HOST": "127.0.0.1", "GONGWUCANG_SMTP_PORT": str(self.port),
                "GONGWUCANG_SMTP_FROM": "noreply@gwc.example.gov.cn"}


def body_of(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


class Robot:
    """An HTTP receiver standing in for a DingTalk / WeCom robot: it checks ``timestamp`` and ``sign`` against
    ``secret`` and keeps the messages; answers 500 while ``fail`` is set."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[dict] = []
        self.bad_signatures = 0
        self.fail = False
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if robot.fail:
                    self._answer(500, {"errcode": -1, "errmsg": "down"})
                    return
                query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
                ts = query.get("timestamp", "")
                want = base64.b64encode(hmac.new(robot.secret.encode(), f"{ts}\n{robot.secret}".encode(),
                                                 hashlib.sha256).digest()).decode()
                if not ts or query.get("sign") != want:
                    robot.bad_signatures += 1
                    self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
                    return
                robot.received.append(json.loads(body))
                self._answer(200, {"errcode": 0, "errmsg": "ok"})

            def _answer(self, status: int, data: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                """Quiet: the test reads what arrived, not the access log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=t0ken"

    def __enter__(self) -> Robot:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
