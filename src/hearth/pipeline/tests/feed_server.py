"""A real RSS server on loopback whose entries and answers a test changes while it runs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


class FeedServer:
    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []  # (guid, title)
        self.status = 200
        self.retry_after = ""
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.hits += 1
                if server.status != 200:
                    self.send_response(server.status)
                    if server.retry_after:
                        self.send_header("Retry-After", server.retry_after)
                    self.end_headers()
                    return
                body = server.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.xml"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, guid: str, title: str) -> None:
        self.entries.append((guid, title))

    def render(self) -> str:
        start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        items = "".join(
            f"<item><guid>{escape(guid)}</guid><title>{escape(title)}</title>"
            f"<link>https://news.example/{escape(guid)}</link>"
            f"<pubDate>{format_datetime(start + timedelta(minutes=i))}</pubDate></item>"
            for i, (guid, title) in enumerate(self.entries)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Lamp news</title><link>https://news.example/</link>{items}</channel></rss>"
        )

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
