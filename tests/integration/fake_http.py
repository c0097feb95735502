"""A tiny HTTP server on 127.0.0.1 for tests that need a target with a
given behaviour (a stand-in pprof endpoint, one that hangs, fails...)."""
import http.server
import threading


class FakeHTTP:
    """Serves GET with do_get(handler) on its own threads; .addr is
    "127.0.0.1:PORT". Broken pipes (the client gave up) are ignored."""

    def __init__(self, do_get):
        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                try:
                    do_get(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.addr = "127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()
