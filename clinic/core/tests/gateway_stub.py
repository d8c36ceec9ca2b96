"""A local stand-in for an outside JSON service (core/gateways.py's callers: the message
gateways, the PRRO, the payment provider), served on a free loopback port for a test.

A subclass says what each POST gets back: `answer(headers, body)` returns the status and the
JSON reply (None for an empty body). Set the subclass's own state before calling
`super().__init__()`; `stop()` when done.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class GatewayStub:
    path = "/"

    def __init__(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, reply = stub.answer(self.headers, body)
                self.send_response(status)
                if reply is None:
                    self.end_headers()
                    return
                data = json.dumps(reply).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, headers, body) -> tuple[int, dict | None]:
        raise NotImplementedError

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
