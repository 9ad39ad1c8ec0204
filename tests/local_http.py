"""A file server on 127.0.0.1 for download tests, and a port that refuses."""

import contextlib
import http.server
import socket
import threading


class FileServer:
    """Serves `files` ({"/path": bytes}) on 127.0.0.1 in a thread.

    Attributes:
        requests: the paths asked for, in order (to show a cache is reused).
    """

    def __init__(self, files):
        self.files = dict(files)
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server hook's name)
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass  # keep test output clean

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True
        )

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()


def refused_url(path="/file"):
    """A URL on 127.0.0.1 whose port nothing listens on: a connection is
    refused at once, as on a machine without network."""
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
