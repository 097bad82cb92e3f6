"""A crawl shared by several processes, on this machine or others: scrapy-redis's scheduler and
duplicate filter in Redis (``scoparchive crawl … --redis redis://HOST:PORT/DB``), each worker
writing its own archive.

Every process started with the same sites and the same Redis is a worker of the same crawl: the
Redis keys are named by a crawl id made from the sorted sites (``Sites.crawl_id``), then by the
run, whose id the first worker sets and the others join (``join_run``); every worker's archive
holds that run id. What scrapy-redis alone does not do, done here:

- **Nothing lost by a killed worker.** scrapy-redis pops a request before downloading it: a
  worker killed then would lose it. Each pop also writes the request into the worker's in-flight
  hash, in one Lua script; the entry is removed once the spider has done with the response (its
  links are in the queue) or the request has given way to another (a retry, a redirect:
  ``middlewares/inflight.py``). The in-flight requests of a worker go back to the queue when it
  starts again (``--resume``, same worker id) and when another worker sees it dead (its
  heartbeat key expired, ``REDIS_WORKER_TIMEOUT``). A response already archived is not
  downloaded again for that: once written to the WARC, it is kept in Redis (``responses``) until
  the spider has done with it, and the worker that pops its request again hands it to its
  spider as it was received (``replayed``), without archiving it twice; an image or a document,
  whose response yields nothing, is simply done once archived.
- **The end.** scrapy-redis idles forever; here a worker with nothing to do stops when the shared
  queue is empty and no worker has requests in flight (one Lua script reads it all at once),
  marks the run done, and the command exits as usual.
- **Politeness per host, for the crawl as a whole.** Each worker's downloader keeps its own
  slots: two workers would each wait the delay, and a host would get twice the requests. The
  delay between two requests to a host is kept in Redis instead: a worker sends a request
  only once it has taken the host's turn there (``take_turn``), waiting until the delay since
  the host's last request has passed; its own slots have no delay. A robots.txt Crawl-delay, read by one worker, holds for all (``set_host_delay``). The
  limit of requests in flight per host stays per worker.
- **One robots.txt per host.** The answer is shared in Redis: the first worker that needs it
  fetches and archives it, the others read it there.
- **Incremental recrawls.** Every answer archived leaves its validators (ETag,
  Last-Modified) and whether its page is online in Redis, under the crawl's own keys, kept from
  run to run: the next run's workers ask every page conditionally from their first request,
  whichever worker's archive holds it. Each worker also seeds them from its archive (a Redis
  that lost its data, the first distributed run of an archive crawled alone); the known pages
  are checked again by the crawl as a whole, and the sitemaps' lastmods read by one worker serve
  all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import re
import socket
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Request, Response
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from scoparchive.archive.model import is_html
from scoparchive.crawling.session import CrawlSession, new_run_id

logger = logging.getLogger(__name__)

#: Answers after which a page is no longer online at its URL (``_remember``).
_GONE_OR_MOVED = frozenset({301, 302, 303, 307, 308, 404, 410})
#: In a popped request's meta: its entry in this worker's in-flight hash.
INFLIGHT = "scoparchive_inflight"
#: In a popped request's meta: the response another worker archived before it died (pickled).
REPLAYED = "scoparchive_replayed"
#: In a request's meta, from the spider to the scheduler: the in-flight entry it was found from.
CHILD_OF = "scoparchive_child_of"
#: How long the keys of a finished run stay (its "done" mark, for a worker that resumes late).
DONE_KEYS_TTL = 7 * 24 * 3600

# scrapy-redis's duplicate filter and queue, in one step: a worker killed between the two would
# leave a request seen and never queued.
_ENQUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
# An in-flight entry is "<state> <score> <request>": q popped, a archived with its response kept
# in the responses hash, d archived with nothing left to do (it yields no request).
_POP = """
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
local popped = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #popped == 0 then return false end
local data = popped[1]
redis.call('ZREM', KEYS[1], data)
local id = redis.sha1hex(data)
redis.call('HSET', KEYS[2], id, 'q ' .. popped[2] .. ' ' .. data)
return {id, data, redis.call('HGET', KEYS[4], id) or ''}
"""
_ARCHIVED = """
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. string.sub(entry, 2))
if ARGV[2] == 'a' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) end
return 1
"""
_REQUEUE = """
local entries = redis.call('HGETALL', KEYS[1])
local moved = 0
for i = 2, #entries, 2 do
  local entry = entries[i]
  if string.sub(entry, 1, 1) ~= 'd' then
    local rest = string.sub(entry, 3)
    local space = string.find(rest, ' ', 1, true)
    redis.call('ZADD', KEYS[2], string.sub(rest, 1, space - 1), string.sub(rest, space + 1))
    moved = moved + 1
  end
end
redis.call('DEL', KEYS[1])
return moved
"""
_NOTHING_LEFT = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 1 end
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('HLEN', ARGV[1] .. 'inflight:' .. worker) > 0 then return 0 end
end
return 1
"""
_TAKE_TURN = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local delay = tonumber(ARGV[1])
local asked = tonumber(redis.call('GET', KEYS[2]) or '0')
if asked > delay then delay = asked end
if delay <= 0 then return '0' end
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < free then return tostring(free - now) end
redis.call('SET', KEYS[1], tostring(now + delay), 'PX', math.ceil(delay * 1000) + 1000)
return '0'
"""
_DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class CrawlKeys:
    """The Redis keys of one run of one crawl: ``scoparchive:<crawl id>:<run id>:…``."""

    def __init__(self, crawl_id: str, run_id: str):
        self.crawl_id, self.run_id = crawl_id, run_id
        self.prefix = prefix = f"scoparchive:{crawl_id}:{run_id}:"
        #: scrapy-redis's queue (a sorted set) and duplicate filter (a set of fingerprints).
        self.requests, self.dupefilter = prefix + "requests", prefix + "dupefilter"
        #: The workers that took part (a set), the run's end mark, the answers archived.
        self.workers, self.done, self.usable = prefix + "workers", prefix + "done", \
            prefix + "usable"
        #: What the workers share in a run: sitemap lastmods, the known pages of their
        #: archives, robots.txt answers (hashes and a set, by URL or netloc).
        self.lastmods = prefix + "lastmods"
        self.known, self.robots = prefix + "known", prefix + "robots"
        #: The responses archived whose request is still in flight, by in-flight entry.
        self.responses = prefix + "responses"
        #: The crawl's own, kept from run to run: the validators of the latest 200 answer of
        #: each URL, whichever worker archived it, and the pages online at their latest answer.
        #: The next run's workers read them from its first request, before the other workers
        #: have seeded their archives' (a worker starting alone would download in full every
        #: page held only in another archive).
        self.crawl_validators = f"scoparchive:{crawl_id}:validators"
        self.crawl_known = f"scoparchive:{crawl_id}:known"

    @staticmethod
    def current(crawl_id: str) -> str:
        """The run the workers of the crawl join, while it runs."""
        return f"scoparchive:{crawl_id}:run"

    def of(self, kind: str, worker: str) -> str:
        """A worker's own key: ``alive``, ``inflight``."""
        return f"{self.prefix}{kind}:{worker}"


def default_worker_id(archive_dir: Path) -> str:
    """The same for the same machine and archive folder, so that ``--resume`` rejoins as the
    worker it was: the host name, then a digest of the folder's absolute path."""
    host = re.sub(r"[^A-Za-z0-9_]+", "_", socket.gethostname().split(".")[0]).strip("_")
    digest = hashlib.sha1(str(Path(archive_dir).resolve()).encode()).hexdigest()[:8]
    return f"{host or 'host'}-{digest}"


def shown_url(url: str) -> str:
    """A Redis URL without its password, for records and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, user + netloc, parts.path, parts.query, parts.fragment))


def connect(url: str) -> redis.Redis:
    """A client of the crawl's Redis, checked: ``redis.RedisError`` if it cannot be reached."""
    client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30)
    client.ping()
    return client


def join_run(client: redis.Redis, crawl_id: str, resume_run_id: str | None = None) -> str:
    """The run this worker takes part in: the one it resumes, else the crawl's current run,
    else a new one, which the workers started next join."""
    if resume_run_id:
        return resume_run_id
    key = CrawlKeys.current(crawl_id)
    while True:
        candidate = new_run_id()
        if client.set(key, candidate, nx=True):
            return candidate
        current = client.get(key)
        if current is not None:
            return current.decode()


class DistributedCrawl:
    """The worker's side of a distributed crawl (an extension, EXTENSIONS in ``settings.py``,
    off without REDIS_URL): its keys, its heartbeat, the in-flight bookkeeping the scheduler and
    the middlewares call, the end of the crawl, and the recrawl state shared with the others.

    Settings: REDIS_URL, CRAWL_ID, CRAWL_RUN_ID, CRAWL_WORKER (``scoparchive crawl --redis``
    sets them), REDIS_WORKER_TIMEOUT (seconds without a heartbeat after which a worker is taken
    for dead), REDIS_POLL_INTERVAL (how often an idle worker looks at the queue again).
    """

    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured
        self.crawler = crawler
        self.worker = settings.get("CRAWL_WORKER")
        self.keys = CrawlKeys(settings.get("CRAWL_ID"), settings.get("CRAWL_RUN_ID"))
        self.timeout = max(1.0, settings.getfloat("REDIS_WORKER_TIMEOUT"))
        self.poll = settings.getfloat("REDIS_POLL_INTERVAL")
        self.client = redis.Redis.from_url(settings.get("REDIS_URL"))
        self._pop = self.client.register_script(_POP)
        self._archived = self.client.register_script(_ARCHIVED)
        self.max_replayed = settings.getint("REDIS_MAX_REPLAYED_SIZE")
        self._requeue = self.client.register_script(_REQUEUE)
        self._nothing_left = self.client.register_script(_NOTHING_LEFT)
        self._delete_if_equal = self.client.register_script(_DELETE_IF_EQUAL)
        self._take_turn = self.client.register_script(_TAKE_TURN)
        self.enqueue = self.client.register_script(_ENQUEUE)
        #: The delay between two requests to a host, whichever worker sends them.
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        #: The run was marked done before this worker joined it: nothing to crawl.
        self.over = bool(self.client.exists(self.keys.done))
        self._heartbeat: task.LoopingCall | None = None
        self._usable_here = 0
        #: In-flight entry → its children yielded and not queued yet; the entries whose
        #: callback has returned.
        self._children: dict[str, int] = {}
        self._returned: set[str] = set()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler) -> DistributedCrawl:
        return cls(crawler)

    @classmethod
    def of(cls, crawler) -> DistributedCrawl | None:
        """The crawl's, or None for a crawl of one process."""
        return crawler.get_extension(cls)

    # -- the worker ---------------------------------------------------------------------------

    def join(self) -> int:
        """This worker takes part (the scheduler calls it when it opens, before any pop): what
        it had in flight when it stopped goes back to the queue."""
        self.client.sadd(self.keys.workers, self.worker)
        self._beat()
        moved = self.requeue(self.worker)
        if moved:
            logger.info("%d requête(s) en cours à l'arrêt remise(s) en file (request(s) in "
                        "flight when this worker stopped, queued again)", moved)
            self.crawler.stats.set_value("scoparchive/requeued_own", moved)
        return moved

    def requeue(self, worker: str) -> int:
        return int(self._requeue(keys=[self.keys.of("inflight", worker), self.keys.requests]))

    def _beat(self) -> None:
        self.client.set(self.keys.of("alive", self.worker), b"1", px=int(self.timeout * 1000))

    def heartbeat(self) -> None:
        """Says this worker is alive, and gives back the requests of the workers that are not."""
        try:
            self._beat()
            # Another worker may have ended the run since: nothing more is queued or popped.
            self.over = self.over or bool(self.client.exists(self.keys.done))
            for member in self.client.smembers(self.keys.workers):
                worker = member.decode()
                if worker == self.worker or self.client.exists(self.keys.of("alive", worker)):
                    continue
                if self.client.hlen(self.keys.of("inflight", worker)):
                    moved = self.requeue(worker)
                    if moved:
                        logger.warning("le travailleur %s ne répond plus : %d requête(s) en "
                                       "cours remise(s) en file (worker %s is gone: %d "
                                       "request(s) in flight queued again)", worker, moved,
                                       worker, moved)
                        self.crawler.stats.inc_value("scoparchive/requeued_from_dead_workers",
                                                     moved)
        except redis.RedisError as error:
            logger.error("Redis injoignable (unreachable): %s", error)

    # -- the scheduler's pops, and what becomes of them ------------------------------------

    def pop(self) -> tuple[str, bytes, bytes | None] | None:
        """The next request of the shared queue, written into this worker's in-flight hash in
        the same step: its entry, the request, and its response if another worker archived it
        already (``archived``)."""
        if self.over:
            return None
        popped = self._pop(keys=[self.keys.requests, self.keys.of("inflight", self.worker),
                                 self.keys.done, self.keys.responses])
        if not popped:
            return None
        entry, data, response = popped
        return entry.decode(), data, response or None

    def pending(self) -> int:
        """Requests waiting in the shared queue."""
        return self.client.zcard(self.keys.requests)

    def archived(self, request: Request, response: Response, *, usable: bool,
                 yields_requests: bool) -> None:
        """``response`` is written to this worker's archive: were the worker to die before its
        spider has done with it, the request is not downloaded again but the response handed
        over as it is (``yields_requests``: the spider may find links in it; an image yields
        nothing, and its request is done). Bodies over REDIS_MAX_REPLAYED_SIZE are not kept:
        such a request would be downloaded again."""
        if usable:
            self._usable_here += 1
            self.client.incr(self.keys.usable)
        self._remember(request.url, response)
        entry = request.meta.get(INFLIGHT)
        if not entry:
            return
        if not yields_requests:
            state, kept = "d", b""
        elif len(response.body) <= self.max_replayed:
            state, kept = "a", pickle.dumps({
                "status": response.status, "headers": dict(response.headers.items()),
                "body": response.body, "flags": list(response.flags),
                "protocol": response.protocol}, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            return
        self._archived(keys=[self.keys.of("inflight", self.worker), self.keys.responses],
                       args=[entry, state, kept])

    def _remember(self, url: str, response: Response) -> None:
        """What the next run needs of this answer, whichever worker asks for the URL then: its
        validators, and whether the page is online (a page gone or moved away is no longer
        checked)."""
        status = response.status
        if status == 200:
            etag = _header(response, b"ETag")
            modified = _header(response, b"Last-Modified")
            pipe = self.client.pipeline(transaction=False)
            if etag or modified:
                pipe.hset(self.keys.crawl_validators, url, json.dumps(
                    {"etag": etag, "last_modified": modified,
                     "captured_at": datetime.now(UTC).isoformat()}))
            if is_html(_header(response, b"Content-Type")):
                pipe.sadd(self.keys.crawl_known, url)
            pipe.execute()
        elif status in _GONE_OR_MOVED:
            self.client.srem(self.keys.crawl_known, url)

    def done_with(self, request: Request) -> None:
        """The request went through: its links are queued, or it gave way to another."""
        entry = request.meta.pop(INFLIGHT, None)
        if entry:
            self.done_entry(entry)

    def done_entry(self, entry: str) -> None:
        """The in-flight entry ``entry`` went through (and the response kept for it goes)."""
        self._children.pop(entry, None)
        self._returned.discard(entry)
        pipe = self.client.pipeline(transaction=True)
        pipe.hdel(self.keys.of("inflight", self.worker), entry)
        pipe.hdel(self.keys.responses, entry)
        pipe.execute()

    def child_yielded(self, parent: Request, child: Request) -> None:
        """The spider yielded ``child`` from the response to ``parent``."""
        entry = parent.meta.get(INFLIGHT)
        if entry:
            child.meta[CHILD_OF] = entry
            self._children[entry] = self._children.get(entry, 0) + 1

    def output_done(self, request: Request) -> None:
        """The callback of ``request`` has returned: done once its children are queued."""
        entry = request.meta.pop(INFLIGHT, None)
        if not entry:
            return
        if self._children.get(entry, 0) > 0:
            self._returned.add(entry)
        else:
            self.done_entry(entry)

    def child_queued(self, entry: str) -> None:
        """A child reached the scheduler (queued, or dropped as a duplicate)."""
        left = self._children.get(entry, 0) - 1
        self._children[entry] = left
        if left <= 0 and entry in self._returned:
            self.done_entry(entry)

    # -- the end --------------------------------------------------------------------------------

    def spider_opened(self, spider):
        # An idle worker asks the shared queue again at every engine heartbeat (5 s in Scrapy):
        # sooner here, or a worker would wait seconds for the links another one found.
        engine = self.crawler.engine
        if self.poll > 0 and hasattr(engine, "_SLOT_HEARTBEAT_INTERVAL"):
            engine._SLOT_HEARTBEAT_INTERVAL = self.poll
        spider.shared_lastmods = SharedLastmods(self.client, self.keys.lastmods)
        spider.shared_delays = self
        # The delay is kept in Redis (``take_turn``): none more in this worker's own slots.
        self.delay = self.crawler.settings.getfloat("DOWNLOAD_DELAY")
        downloader = engine.downloader
        for site in spider.sites.profiles:
            netloc = urlsplit(site.base_url).netloc
            downloader.per_slot_settings.setdefault(netloc, {})["delay"] = 0.0
        self._seed_recrawl_state()
        self._heartbeat = task.LoopingCall(self.heartbeat)
        self._heartbeat.start(self.timeout / 3, now=False)

    def spider_idle(self, spider):
        """This worker has nothing in progress: the crawl ends when no worker has either."""
        if not self.over:
            # Idle, this worker has nothing in flight: an entry left is one whose end was
            # missed.
            self.client.delete(self.keys.of("inflight", self.worker))
            self._children.clear()
            self._returned.clear()
            self.heartbeat()
            if not int(self._nothing_left(keys=[self.keys.requests, self.keys.workers,
                                                self.keys.done], args=[self.keys.prefix])):
                raise DontCloseSpider
        # Before the session writes the run record: the pages the other workers archived
        # count for this worker's outcome (one that found nothing left to do did not fail).
        usable = int(self.client.get(self.keys.usable) or 0)
        self.crawler.stats.set_value("scoparchive/usable_elsewhere",
                                     max(0, usable - self._usable_here))

    def spider_closed(self, spider, reason):
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        try:
            if reason == "finished":
                self._finish_run()
            else:
                # Stopped before the end (Ctrl-C, --max-pages): what it holds goes back now,
                # not once its heartbeat expires.
                self.requeue(self.worker)
            self.client.delete(self.keys.of("alive", self.worker))
        except redis.RedisError as error:
            logger.error("Redis injoignable (unreachable): %s", error)

    def _finish_run(self) -> None:
        """The crawl went through: its run is done; the next crawl of these sites starts a new
        one. The queue and the sets go; the done mark stays a while for a late ``--resume``."""
        keys = self.keys
        self.client.set(keys.done, b"1", ex=DONE_KEYS_TTL)
        self._delete_if_equal(keys=[CrawlKeys.current(keys.crawl_id)], args=[keys.run_id])
        self.client.delete(keys.dupefilter, keys.requests, keys.lastmods,
                           keys.known, keys.robots, keys.responses)
        for key in (keys.workers, keys.usable):
            self.client.expire(key, DONE_KEYS_TTL)

    # -- politeness per host, whatever the number of workers -----------------------------------

    def take_turn(self, netloc: str) -> float:
        """0 when this worker may send its request to ``netloc`` now (the turn is taken: the
        next request waits the delay, or the host's Crawl-delay if longer); else how many
        seconds are left before the host is free, to wait and ask again."""
        return float(self._take_turn(keys=[f"{self.keys.prefix}next:{netloc}",
                                           f"{self.keys.prefix}delay:{netloc}"],
                                     args=[repr(self.delay)]))

    def set_host_delay(self, netloc: str, delay: float) -> None:
        """A host's robots.txt Crawl-delay, for every worker."""
        self.client.set(f"{self.keys.prefix}delay:{netloc}", repr(delay), ex=DONE_KEYS_TTL)

    # -- robots.txt, once per host for the whole crawl -----------------------------------------

    def robots_answer(self, netloc: str) -> dict | None:
        """The answer to a host's robots.txt, as a worker received it: ``status`` (None: no
        answer) and ``text``."""
        stored = self.client.hget(self.keys.robots, netloc)
        return json.loads(stored) if stored else None

    def claim_robots(self, netloc: str) -> bool:
        """Whether this worker is the one to fetch the host's robots.txt."""
        return bool(self.client.set(f"{self.keys.robots}-claim:{netloc}", self.worker, nx=True,
                                    ex=int(self.timeout * 4)))

    def publish_robots(self, netloc: str, status: int | None, text: str) -> None:
        self.client.hset(self.keys.robots, netloc, json.dumps({"status": status, "text": text}))

    # -- the recrawl state, shared ---------------------------------------------------------------

    def _seed_recrawl_state(self) -> None:
        """This archive's validators and known pages, for the workers whose archive has not the
        page."""
        state = CrawlSession.of(self.crawler).state
        if state is None:
            return
        pipe = self.client.pipeline(transaction=False)
        for url, capture in state.latest.items():
            if capture.status != 200:
                continue
            etag, modified = capture.headers.get("ETag"), capture.headers.get("Last-Modified")
            if etag or modified:
                # What a run wrote is newer than any archive's: never replaced from here.
                pipe.hsetnx(self.keys.crawl_validators, url, json.dumps(
                    {"etag": etag, "last_modified": modified,
                     "captured_at": capture.captured_at.isoformat()}))
        pages = state.page_urls()
        if pages:
            pipe.sadd(self.keys.known, *pages)
        pipe.execute()

    def validators(self, url: str) -> dict[str, str]:
        """If-None-Match and If-Modified-Since from another worker's archive."""
        stored = self.client.hget(self.keys.crawl_validators, url)
        if not stored:
            return {}
        found = json.loads(stored)
        headers = {}
        if found.get("etag"):
            headers["If-None-Match"] = found["etag"]
        if found.get("last_modified"):
            headers["If-Modified-Since"] = found["last_modified"]
        return headers

    def known_pages(self) -> list[str]:
        """Every page the workers' archives hold (their latest answer a 200 HTML page)."""
        members = self.client.sunion(self.keys.known, self.keys.crawl_known)
        return sorted(member.decode() for member in members)


class SharedLastmods:
    """The sitemaps' lastmods read by any worker (``SiteSpider.shared_lastmods``)."""

    def __init__(self, client: redis.Redis, key: str):
        self.client, self.key = client, key

    def get(self, url: str) -> str | None:
        value = self.client.hget(self.key, url)
        return value.decode() if value is not None else None

    def put(self, url: str, lastmod: str) -> None:
        self.client.hset(self.key, url, lastmod)


class DistributedScheduler(RedisScheduler):
    """scrapy-redis's scheduler (its queue and duplicate filter in Redis), whose pops are
    written into the worker's in-flight hash (``DistributedCrawl.pop``)."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawl = DistributedCrawl.of(crawler)
        if scheduler.crawl is None:
            raise NotConfigured("the distributed scheduler needs REDIS_URL")
        return scheduler

    def open(self, spider):
        super().open(spider)
        self.crawl.join()

    def enqueue_request(self, request: Request) -> bool:
        if self.crawl.over:
            return False
        # A retry or a redirect of a popped request: that one is done once this one is queued.
        parent = request.meta.pop(INFLIGHT, None)
        request.meta.pop(REPLAYED, None)
        # Found in the response to a popped request: counted down (``output_done``).
        found_from = request.meta.pop(CHILD_OF, None)
        queued = self._enqueue(request)
        if parent:
            self.crawl.done_entry(parent)
        if found_from:
            self.crawl.child_queued(found_from)
        return queued

    def _enqueue(self, request: Request) -> bool:
        """scrapy-redis's ``enqueue_request``, its duplicate filter and its queue written in
        one step."""
        seen = "" if request.dont_filter else self.df.request_fingerprint(request)
        queued = bool(int(self.crawl.enqueue(
            keys=[self.df.key, self.queue.key],
            args=[seen, -request.priority, self.queue._encode_request(request)])))
        if not queued:
            self.df.log(request, self.spider)
        elif self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return queued

    def next_request(self) -> Request | None:
        popped = self.crawl.pop()
        if popped is None:
            return None
        entry, data, response = popped
        request = self.queue._decode_request(data)
        request.meta[INFLIGHT] = entry
        if response is not None:
            request.meta[REPLAYED] = response
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return not self.crawl.over and self.crawl.pending() > 0

    def __len__(self) -> int:
        return self.crawl.pending()


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
