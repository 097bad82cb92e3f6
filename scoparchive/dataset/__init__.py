"""The dataset wing: the archive replayed into the site's history (``replay``), then records,
organisations, completeness and drift, written by ``scoparchive.writers``."""
