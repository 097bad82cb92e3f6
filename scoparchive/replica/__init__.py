"""A replica of les-scop-idf.coop for tests and demos: invented content (except the
#ScopetScicSolidaires page), served on the loopback interface in several markups.

See README.md in this folder.
"""

from .app import DISALLOWED_PATHS, ReplicaApp, Reply
from .model import NEWS_PATH, PAGE_SIZE, PRESS_PATH, Entry, LegacyPage, PressItem, ReplicaSite
from .render import MARKUPS
from .server import Fault, ReplicaServer, RequestLogEntry, serve
from .slugs import slugify, unique_slug
from .truth import PageTruth

__all__ = [
    "DISALLOWED_PATHS",
    "MARKUPS",
    "NEWS_PATH",
    "PAGE_SIZE",
    "PRESS_PATH",
    "Entry",
    "Fault",
    "LegacyPage",
    "PageTruth",
    "PressItem",
    "ReplicaApp",
    "ReplicaServer",
    "ReplicaSite",
    "Reply",
    "RequestLogEntry",
    "serve",
    "slugify",
    "unique_slug",
]
