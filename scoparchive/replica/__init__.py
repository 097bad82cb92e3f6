"""A replica of les-scop-idf.coop for tests and demos: invented content (except the
#ScopetScicSolidaires page), served on the loopback interface in several markups; and of a
sister site, les-scop-ouest.coop (``ReplicaServer(profile="les-scop-ouest")``, all invented).

See README.md in this folder.
"""

from .app import DISALLOWED_PATHS, ReplicaApp, Reply
from .flavour import Flavour
from .model import (
    NEWS_PATH,
    PAGE_SIZE,
    PRESS_PATH,
    Entry,
    LegacyPage,
    PressItem,
    ReplicaSite,
    content_dir_for,
    replica_profiles,
)
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
    "Flavour",
    "LegacyPage",
    "PageTruth",
    "PressItem",
    "ReplicaApp",
    "ReplicaServer",
    "ReplicaSite",
    "Reply",
    "RequestLogEntry",
    "content_dir_for",
    "replica_profiles",
    "serve",
    "slugify",
    "unique_slug",
]
