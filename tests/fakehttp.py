"""A fake platform API on 127.0.0.1: a threaded HTTP server that answers JSON. Subclasses say what."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeServer:
    """Serves until close(); `answer` gets every request and returns (status, headers, JSON body)."""

    def __init__(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, body = outer.answer(self.command, self.path, self.headers, raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def answer(self, method: str, path: str, headers, raw: bytes) -> tuple[int, dict, object]:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def form_data(content_type: str, raw: bytes) -> dict[str, str | bytes]:
    """The fields of a multipart/form-data body: text fields as str, uploaded files as bytes."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields = {}
    for part in message.iter_parts():
        data = part.get_payload(decode=True)
        fields[part.get_param("name", header="content-disposition")] = data if part.get_filename() else data.decode()
    return fields
