"""The archived pages, replayed offline by pywb behind `scoparchive serve`: one port, one tree of
processes.

Every row of the datasets that comes from a capture holds its ``archived_url``
(``archived_url``): ``/archive/<14-digit time>/<URL>``, pywb's own URL of that capture in the
collection ``archive``, relative to the server so that the datasets stay valid wherever they are
served. Without ``id_`` after the time, pywb rewrites the page's links, images and scripts into
the archive: a page opens as it was archived, and nothing is fetched from the live site.

``Replay`` starts pywb's ``wayback`` (from its own virtual environment, ``.venv-pywb``: it pins
libraries that Scrapy and Datasette need newer) on a free loopback port, with a configuration
written into a temporary folder that names the archive's ``index.cdxj`` and its WARC files where
they are; pywb reads the index at each request, so a new crawl is replayed without a restart.
The server's ASGI application passes every request under ``/archive/`` to it (``mount``), pywb's
own scripts and styles included (its ``static_prefix`` is under ``/archive/`` too), with the
request's Host so that the links pywb writes name this server. pywb stops with the server, and
with its process if that one is killed (``PR_SET_PDEATHSIG``, on Linux).

Without pywb or without an archive, the server starts all the same, says in one line how to get
the replay, and answers those links with a page that says it (503), not a 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

#: pywb's collection, and the path under which the server passes requests to it.
COLLECTION = "archive"
PREFIX = f"/{COLLECTION}/"
#: The environment variable naming the folder of pywb's ``wayback`` (tests/test_archive_pywb.py
#: reads it too).
WAYBACK_FOLDER_VARIABLE = "SCOPARCHIVE_PYWB_BIN"
#: Where `make pywb` installs it, relative to the repository or the working folder.
PYWB_VENV = Path(".venv-pywb")
#: How long a request waits for pywb to start listening before it is answered 503.
STARTUP_SECONDS = 30.0
#: How long pywb may take to answer once it has the request (a large page, rewritten).
ANSWER_SECONDS = 60.0
#: Headers of one connection, not passed on (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-authenticate",
                        b"proxy-authorization", b"te", b"trailer", b"transfer-encoding",
                        b"upgrade"})
INSTALL_HINT = ("`make pywb` l'installe dans .venv-pywb (ou : python3 -m venv .venv-pywb && "
                ".venv-pywb/bin/pip install 'pywb==2.10.*'), puis relancer `scoparchive serve` "
                "(`make pywb` installs it into .venv-pywb; then restart `scoparchive serve`)")

logger = logging.getLogger(__name__)


def archived_url(url: str, captured_at: datetime) -> str:
    """The server's URL of the capture of ``url`` made at ``captured_at``: pywb's, in the
    collection ``archive``, with the capture's time to the second (UTC)."""
    return f"{PREFIX}{captured_at.astimezone(UTC):%Y%m%d%H%M%S}/{url}"


def is_archived_url(value: object) -> bool:
    """Whether ``value`` is an ``archived_url``: a path under ``/archive/``, a 14-digit time,
    then a web address."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return False
    stamp, _, url = value[len(PREFIX):].partition("/")
    if not (len(stamp) == 14 and stamp.isdigit() and url.startswith(("http://", "https://"))):
        return False
    try:
        datetime.strptime(stamp, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


def archived_link(url: str) -> str:
    """An ``archived_url`` as a link (HTML), its text the capture's time and the page's
    address."""
    stamp, _, page = url[len(PREFIX):].partition("/")
    when = datetime.strptime(stamp, "%Y%m%d%H%M%S")
    return (f'<a href="{html.escape(url)}" title="ouvrir la page telle qu\'archivée, rejouée '
            f'par pywb (open the page as archived)">{when:%Y-%m-%d %H:%M:%S} UTC · '
            f'{html.escape(page)}</a>')


def find_wayback(given: Path | None = None) -> Path | None:
    """pywb's ``wayback``: ``given`` if any; else in the folder ``$SCOPARCHIVE_PYWB_BIN``; in
    ``.venv-pywb/bin`` of the working folder or of the repository; on PATH. None: nowhere."""
    if given is not None:
        return given if _executable(given) else None
    candidates = []
    if os.environ.get(WAYBACK_FOLDER_VARIABLE):
        candidates.append(Path(os.environ[WAYBACK_FOLDER_VARIABLE]) / "wayback")
    repository = Path(__file__).resolve().parents[2]
    candidates += [Path.cwd() / PYWB_VENV / "bin" / "wayback",
                   repository / PYWB_VENV / "bin" / "wayback"]
    on_path = shutil.which("wayback")
    candidates += [Path(on_path)] if on_path else []
    return next((path for path in candidates if _executable(path)), None)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


class Replay:
    """pywb over ``archive_dir``, once ``start``-ed; ``unavailable`` says why there is none (in
    French, English beside), and the requests under ``/archive/`` are then answered 503."""

    def __init__(self, archive_dir: Path | None, wayback: Path | None = None):
        self.archive_dir = Path(os.path.abspath(archive_dir)) if archive_dir else None
        self.wayback = find_wayback(wayback)
        self.given = wayback
        self.unavailable: str | None = None
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self._folder: tempfile.TemporaryDirectory | None = None
        self._client = None

    def start(self) -> Replay:
        """Starts pywb, or says in one line of the log why the archive is not replayed."""
        index = self.archive_dir / "index.cdxj" if self.archive_dir else None
        if index is None or not index.is_file():
            where = self.archive_dir or "—"
            self.unavailable = (f"pas d'archive dans {where} (aucun index.cdxj) : donnez-la avec "
                                f"--archive (no archive in {where}: give it with --archive)")
        elif self.wayback is None:
            missing = f"{self.given} introuvable" if self.given else "pywb introuvable"
            self.unavailable = f"{missing} (pywb not found) ; {INSTALL_HINT}"
        if self.unavailable:
            logger.warning("pages archivées non rejouées (archived pages not replayed): %s",
                           self.unavailable)
            return self
        self._folder = tempfile.TemporaryDirectory(prefix="scoparchive-replay-")
        folder = Path(self._folder.name)
        config = folder / "config.yaml"
        config.write_text(pywb_config(self.archive_dir), encoding="utf-8")
        # pywb reads its templates from templates/ of its working folder first.
        (folder / "templates").mkdir()
        (folder / "templates" / "custom_banner.html").write_text(BANNER, encoding="utf-8")
        self.port = _free_port()
        environment = {name: value for name, value in os.environ.items()
                       if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        environment.update(PYWB_CONFIG_FILE=str(config), PYTHONWARNINGS="ignore")
        with (folder / "pywb.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(self.wayback), "-p", str(self.port), "-b", "127.0.0.1"], cwd=folder,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=environment, preexec_fn=_dying_with_this_process())
        logger.info("pages archivées rejouées par pywb sous %s (archived pages replayed by pywb "
                    "under %s): %s", PREFIX, PREFIX, self.archive_dir)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    async def aclose(self) -> None:
        """Closes the connections to pywb; in the server's event loop, before it ends."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def mount(self, app):
        """``app`` with the requests under ``/archive/`` passed to pywb."""

        async def with_replay(scope, receive, send):
            if scope["type"] == "http" and (scope["path"] + "/").startswith(PREFIX):
                await self.handle(scope, receive, send)
            else:
                await app(scope, receive, send)

        return with_replay

    async def handle(self, scope, receive, send) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.unavailable or self.process is None:
            await _send_unavailable(send, self.unavailable or "pywb n'est pas démarré "
                                    "(pywb was not started)")
            return
        response = await self._forward(scope, bytes(body))
        if isinstance(response, str):
            await _send_unavailable(send, response)
            return
        try:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": [(name, value) for name, value in response.headers.raw
                                    if name.lower() not in HOP_BY_HOP]})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    async def _forward(self, scope, body: bytes):
        """pywb's answer to the request (streamed), or why there is none. Waits for pywb to
        listen, up to ``STARTUP_SECONDS`` after it was started."""
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(ANSWER_SECONDS, connect=2.0), trust_env=False)
        target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        # The request's own Host: pywb writes the links of the page it replays with it.
        headers = [(name, value) for name, value in scope["headers"]
                   if name.lower() not in HOP_BY_HOP]
        request = self._client.build_request(scope["method"],
                                              f"http://127.0.0.1:{self.port}{target}",
                                              headers=headers, content=body)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                return await self._client.send(request, stream=True)
            except httpx.ConnectError:
                if self.process.poll() is not None:
                    return (f"pywb s'est arrêté (pywb stopped), code {self.process.returncode}"
                            f"{self._last_log_line()}")
                if time.monotonic() > deadline:
                    return "pywb ne répond pas (pywb does not answer)"
                await asyncio.sleep(0.2)
            except httpx.HTTPError as error:
                return f"pywb n'a pas répondu (pywb did not answer): {type(error).__name__}"

    def _last_log_line(self) -> str:
        if self._folder is None:
            return ""
        lines = (Path(self._folder.name) / "pywb.log").read_text(
            encoding="utf-8", errors="replace").strip().splitlines()
        return f": {lines[-1]}" if lines else ""


@contextlib.contextmanager
def replaying(archive_dir: Path | None, wayback: Path | None = None) -> Iterator[Replay]:
    """A ``Replay`` to start, stopped on the way out."""
    replay = Replay(archive_dir, wayback)
    try:
        yield replay
    finally:
        replay.stop()


def pywb_config(archive_dir: Path) -> str:
    """pywb's configuration (YAML; the paths as JSON strings, which YAML reads as they are):
    the archive's index and WARC files where they are; pages replayed whole, unframed, with
    pywb's scripts under ``/archive/`` like the pages."""
    return "\n".join([
        "collections:",
        f"  {COLLECTION}:",
        f"    index_paths: {json.dumps(str(archive_dir / 'index.cdxj'))}",
        f"    archive_paths: {json.dumps(str(archive_dir) + os.sep)}",
        "framed_replay: false",
        f"static_prefix: {COLLECTION}/_static",
        "enable_memento: true",
        "",
    ])


#: What pywb adds to each page it replays: one line in a corner that says it is an archived
#: capture, and of when (a Jinja template of pywb's; a script, since it is inserted in <head>).
BANNER = """{% if cdx and cdx.timestamp %}<script>
document.addEventListener("DOMContentLoaded", function () {
  var banner = document.createElement("div");
  banner.id = "scoparchive-banner";
  banner.lang = "fr";
  banner.style.cssText = "position: fixed; bottom: 0; right: 0; z-index: 2147483647; "
    + "background: rgba(20, 20, 20, 0.85); color: #fff; font: 12px/1.4 sans-serif; "
    + "padding: 3px 8px; border-top-left-radius: 4px; pointer-events: none";
  banner.textContent = {{ ("Page archivée, capture du " ~ (cdx.timestamp | format_ts("%Y-%m-%d %H:%M:%S"))
    ~ " UTC (archived page, not the live site)") | tojson }};
  document.body.appendChild(banner);
});
</script>{% endif %}
"""


async def _send_unavailable(send, reason: str) -> None:
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"retry-after", b"60")]})
    await send({"type": "http.response.body", "body": unavailable_page(reason).encode()})


def unavailable_page(reason: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>Page archivée indisponible (archived page unavailable)</title></head>
<body style="font-family: sans-serif; max-width: 45em; margin: 2em auto">
<h1>Page archivée indisponible</h1>
<p>Le serveur ne peut pas rejouer cette page archivée pour le moment :
{html.escape(reason)}.</p>
<p lang="en"><em>The server cannot replay this archived page for now: see the reason above.</em>
</p>
<p><a href="/">Retour aux jeux de données (back to the datasets)</a></p>
</body></html>
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dying_with_this_process():
    """What pywb's process runs before pywb: it gets SIGTERM when this process ends, however
    it ends, killed included (Linux; elsewhere `scoparchive serve` stops it on its way out).
    The C library is loaded here, before the fork."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    set_parent_death_signal = 1  # PR_SET_PDEATHSIG

    return lambda: prctl(set_parent_death_signal, signal.SIGTERM)
