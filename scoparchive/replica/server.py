"""The replica served over HTTP on the loopback interface, with a request log and faults.

HTTP/1.1 with keep-alive, validators (ETag, Last-Modified) and 304 answers, gzip on request,
and injectable faults (503/429 with Retry-After, hangs, dropped connections) for crawl tests.
"""

from __future__ import annotations

import fnmatch
import gzip
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .app import ReplicaApp, Reply
from .model import ReplicaSite, content_dir_for

_COMPRESSIBLE = ("text/", "application/xml", "application/json")


@dataclass(frozen=True)
class RequestLogEntry:
    method: str
    path: str  # with the query string, as requested
    status: int
    headers: dict[str, str]
    time: float  # epoch seconds when the request arrived


@dataclass
class Fault:
    """A misbehaviour of the server for requests matching ``path``.

    ``path`` is an exact path (query included or not) or a glob such as ``/actualites*``.
    ``times`` is how many matching requests it affects (``None``: all). ``status=None`` answers
    normally, after ``delay`` seconds; ``drop`` closes the connection without an answer.
    """

    path: str
    status: int | None = 503
    times: int | None = 1
    retry_after: int | None = None
    delay: float = 0.0
    drop: bool = False
    hits: int = field(default=0, compare=False)

    def matches(self, target: str) -> bool:
        path = urlsplit(target).path
        return any(fnmatch.fnmatchcase(candidate, self.path) for candidate in (target, path))

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times


class ReplicaServer:
    """The replica on ``127.0.0.1``; ``port=0`` picks a free port (see ``url``).

    ``profile`` names the site served: the union's (the default) or a sister site's
    (``"les-scop-ouest"``: its own texts, from ``content/<profile>/``, in its own flavour).
    ``markup`` defaults to the site's own (``drupal`` for the union)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        markup: str | None = None,
        sitemap: bool = True,
        gzip: bool = True,
        content_dir: str | Path | None = None,
        fault: Fault | Iterable[Fault] | None = None,
        site: ReplicaSite | None = None,
        crawl_delay: float | None = None,
        scale: int = 1,
        profile: str | None = None,
    ):
        if site is not None and scale != 1:
            raise ValueError("give a site or a scale, not both: ReplicaSite.load(scale=K)")
        if profile and content_dir is None and site is None:
            content_dir = content_dir_for(profile)
        self.site = site or ReplicaSite.load(content_dir, scale=scale)
        #: The name of the site profile served (profiles.yaml).
        self.profile_name = profile or self.site.profile
        self.gzip = gzip
        self._lock = threading.Lock()
        self._log: list[RequestLogEntry] = []
        self.faults: list[Fault] = []
        if fault is not None:
            for item in [fault] if isinstance(fault, Fault) else fault:
                self.inject(item)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.httpd = _Server((host, port), _handler_for(self))
        bound_host, bound_port = self.httpd.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}/"
        self.app = ReplicaApp(
            self.site,
            markup,
            self.url,
            sitemap=sitemap,
            crawl_delay=crawl_delay,
            content_dir=str(content_dir) if content_dir else self.site.content_dir,
        )

    @property
    def markup(self) -> str:
        return self.app.markup

    def register(self):
        """Declare this server as the site of its profile (``profiles.register_site``), so that
        ``profile_for_url`` knows its URLs; returns the profile, moved to ``url``."""
        from scoparchive.profiles import register_site

        return register_site(self.profile_name, self.url)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ReplicaServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases handlers held by a "hang" fault
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.httpd.server_close()

    def serve_forever(self) -> None:
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stopping.set()
            self.httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # ------------------------------------------------------------------ log and faults

    @property
    def request_log(self) -> list[RequestLogEntry]:
        """A snapshot of the requests received so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def requests_for(self, path: str) -> list[RequestLogEntry]:
        return [entry for entry in self.request_log if entry.path == path]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def add_fault(
        self,
        path: str,
        status: int | None = 503,
        *,
        times: int | None = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
        drop: bool = False,
    ) -> Fault:
        return self.inject(Fault(path, status, times, retry_after, delay, drop))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take_fault(self, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if not fault.spent and fault.matches(target):
                    fault.hits += 1
                    return fault
        return None

    def _record(self, entry: RequestLogEntry) -> None:
        with self._lock:
            self._log.append(entry)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hung handler must not hold up stop()
    allow_reuse_address = True


def _handler_for(replica: ReplicaServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_ReplicaHandler):
        server_replica = replica

    return Handler


class _ReplicaHandler(BaseHTTPRequestHandler):
    server_replica: ReplicaServer
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes: without this, Nagle's algorithm and delayed
        # ACKs add some 40 ms to every answer on a keep-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self._finish(Reply(405, "text/plain; charset=utf-8", b"Method Not Allowed\n"), True)

    def log_message(self, format: str, *args) -> None:  # the request log replaces stderr noise
        pass

    def _answer(self, send_body: bool) -> None:
        self._arrived = time.time()
        replica = self.server_replica
        fault = replica._take_fault(self.path)
        if fault is not None:
            if fault.delay:
                replica._stopping.wait(fault.delay)
            if fault.drop:
                self._log_status(0)
                self.close_connection = True
                return
            if fault.status is not None:
                self._finish(_fault_reply(fault), send_body)
                return
        self._finish(replica.app.handle(self.path), send_body)

    def _finish(self, reply: Reply, send_body: bool) -> None:
        headers = dict(reply.headers)
        body = reply.body
        status = reply.status
        if status == 200 and reply.last_modified is not None:
            gzipped = self._wants_gzip(reply)
            etag = f'"{reply.etag}-gzip"' if gzipped else f'"{reply.etag}"'
            headers["ETag"] = etag
            headers["Last-Modified"] = formatdate(reply.last_modified, usegmt=True)
            headers["Cache-Control"] = "max-age=300, public"
            if self._not_modified(reply):
                status, body = 304, b""
            elif gzipped:
                body = gzip.compress(body, mtime=0)
                headers["Content-Encoding"] = "gzip"
            if self.server_replica.gzip and _compressible(reply.content_type):
                headers["Vary"] = "Accept-Encoding"
        # Logged before answering, so that a client never sees an answer missing from the log.
        self._log_status(status)
        self.send_response(status)
        if status != 304:
            headers["Content-Type"] = reply.content_type
        headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _wants_gzip(self, reply: Reply) -> bool:
        accepted = self.headers.get("Accept-Encoding", "")
        codings = {part.split(";")[0].strip().lower() for part in accepted.split(",")}
        return self.server_replica.gzip and "gzip" in codings and _compressible(reply.content_type)

    def _not_modified(self, reply: Reply) -> bool:
        """RFC 9110: If-None-Match decides when present; If-Modified-Since otherwise."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {_bare_etag(tag) for tag in if_none_match.split(",")}
            return "*" in tags or reply.etag in tags
        since = self.headers.get("If-Modified-Since")
        if since and reply.last_modified is not None:
            try:
                since_time = parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
            return int(reply.last_modified) <= since_time
        return False

    def _log_status(self, status: int) -> None:
        self.server_replica._record(
            RequestLogEntry(
                method=self.command,
                path=self.path,
                status=status,
                headers=dict(self.headers.items()),
                time=self._arrived,
            )
        )


def _fault_reply(fault: Fault) -> Reply:
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    reason = {429: "Too Many Requests", 503: "Service Unavailable"}.get(fault.status, "Error")
    body = f"<html><body><h1>{fault.status} {reason}</h1></body></html>\n".encode()
    return Reply(fault.status, "text/html; charset=utf-8", body, headers=headers)


def _bare_etag(tag: str) -> str:
    """``W/"abc-gzip"`` → ``abc``: both encodings of one body validate each other."""
    tag = tag.strip().removeprefix("W/").strip('"')
    return tag.removesuffix("-gzip")


def _compressible(content_type: str) -> bool:
    return content_type.startswith(_COMPRESSIBLE)


def serve(
    port: int,
    markup: str | None = None,
    host: str = "127.0.0.1",
    *,
    scale: int = 1,
    edit_fraction: float = 0.0,
    editions: int = 1,
    **options,
) -> None:
    """Serve the replica in the foreground until Ctrl-C, printing its URL.

    ``scale=K`` serves K times the articles; ``edit_fraction=F`` applies editions 1 to
    ``editions`` (``ReplicaSite.edit``), each changing that share of the articles."""
    from scoparchive.profiles import PROFILES

    server = ReplicaServer(host, port, markup=markup, scale=scale, **options)
    served = PROFILES[server.profile_name].canonical_host
    edited: set[str] = set()
    if edit_fraction:
        for edition in range(1, editions + 1):
            edited.update(server.site.edit(edit_fraction, edition=edition))
    print(f"Replica of {served} ({server.markup} markup) at {server.url}", flush=True)
    if scale != 1 or edited:
        print(f"{len(server.site.articles())} articles (scale {scale}), "
              f"{len(server.site.html_paths())} HTML pages; {len(edited)} articles edited",
              flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.", flush=True)
