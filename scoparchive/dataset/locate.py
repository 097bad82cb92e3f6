"""Where the datasets are, for notebooks and scripts: ``locate()`` finds the current build from
any working directory.

The order: the folder named by ``$SCOPARCHIVE_DATASETS`` (and that one only, when it is set);
else ``datasets/build`` (where `scoparchive build` writes by default) then ``demo/datasets``
(where `make demo` writes), in the working directory and each of its parents, then in the
checkout the package runs from. ``out`` is a symbolic link to the current build
(``scoparchive.dataset.build``): ``locate`` resolves it, so that a notebook reads one build to
the end even if another is swapped in meanwhile; running it again picks up the new one.

Reads nothing but folder listings and imports nothing heavy: notebooks import it first.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

#: The environment variable naming a build folder (or the ``out`` link to it).
ENV_VAR = "SCOPARCHIVE_DATASETS"

#: Where builds are written, relative to a checkout: `scoparchive build`'s default ``--out``,
#: then `make demo`'s (``scoparchive.cli.DEFAULT_OUT`` and ``DEMO_OUT``; tests check they agree).
DEFAULT_PLACES = (Path("datasets/build"), Path("demo/datasets"))

#: The checkout the package runs from (an editable install), or None for an installed wheel.
_ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = _ROOT if (_ROOT / "pyproject.toml").is_file() else None

HOW_TO_BUILD = (
    "Pour en construire un (to build one), depuis la racine du dépôt (from the repository's "
    "root):\n"
    "  make demo              # la réplique du site, au contenu inventé : demo/datasets/\n"
    "                         # (Ctrl-C une fois Datasette ouvert ; les données restent)\n"
    "  scoparchive build      # l'archive de votre collecte (scoparchive crawl), archive/ :\n"
    "                         # datasets/build/\n"
    "Ou nommez le dossier d'un build (or name a build folder) : "
    f"{ENV_VAR}=/chemin/du/build avant\nde lancer Jupyter, ou locate(\"/chemin/du/build\") "
    "dans la cellule."
)


class DatasetsNotFound(LookupError):
    """No build where ``locate`` looked: the message says where it looked and what to run."""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: in a notebook, the message alone."""
        return [f"{type(self).__name__}: {self}"]


@dataclass(frozen=True)
class Datasets:
    """One build: its SQLite database, its Parquet tables and its ``datapackage.json``."""

    folder: Path  # the build folder itself, the ``out`` link resolved
    database: Path

    def parquet(self, table: str) -> Path:
        """The Parquet file of a table (``scoparchive.schema.TABLES``)."""
        return self.folder / "parquet" / f"{table}.parquet"

    @property
    def package(self) -> dict:
        """The Frictionless Data Package describing the Parquet files."""
        return json.loads((self.folder / "datapackage.json").read_text(encoding="utf-8"))

    def __str__(self) -> str:
        return str(self.folder)


def read_build(folder: Path) -> Datasets | None:
    """The build in ``folder`` (or behind the ``out`` link), or None when it holds none: a build
    has ``datapackage.json``, ``parquet/`` and one ``*.db``."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        return None
    folder = folder.resolve()
    databases = sorted(folder.glob("*.db"))
    if not databases or not (folder / "datapackage.json").is_file() \
            or not (folder / "parquet").is_dir():
        return None
    return Datasets(folder, databases[0])


def candidates(start: Path | None = None, checkout: Path | None = CHECKOUT) -> list[Path]:
    """The folders ``locate`` tries without ``$SCOPARCHIVE_DATASETS``, in order."""
    start = Path.cwd() if start is None else Path(start).resolve()
    bases = [start, *start.parents, *([checkout] if checkout else [])]
    seen: dict[Path, None] = {}
    for base in bases:
        for place in DEFAULT_PLACES:
            seen.setdefault(base / place, None)
    return list(seen)


def locate(path: str | os.PathLike | None = None, *, start: Path | None = None,
           checkout: Path | None = CHECKOUT) -> Datasets:
    """The build to read: ``path`` if given, else ``$SCOPARCHIVE_DATASETS`` if set, else the
    first of ``candidates(start, checkout)`` that holds one. Raises ``DatasetsNotFound``, with
    what to run, when there is none."""
    if path is not None:
        return _named(Path(path), f"{path}")
    named = os.environ.get(ENV_VAR, "").strip()
    if named:
        return _named(Path(named), f"{ENV_VAR}={named}")
    tried = candidates(start, checkout)
    for folder in tried:
        found = read_build(folder)
        if found is not None:
            return found
    start = Path.cwd() if start is None else Path(start).resolve()
    where = f"{start} et ses dossiers parents (and its parents)"
    if checkout:
        where += f", puis (then) {checkout}"
    raise DatasetsNotFound(
        "Aucun jeu de données trouvé (no datasets found): ni "
        + " ni ".join(f"{place}/" for place in DEFAULT_PLACES)
        + f" dans {where}, et {ENV_VAR} n'est pas définie (is not set).\n" + HOW_TO_BUILD)


def _named(folder: Path, told: str) -> Datasets:
    found = read_build(folder)
    if found is None:
        what = "n'existe pas (does not exist)" if not folder.expanduser().exists() else \
            "n'est pas un build (is not a build: no datapackage.json, parquet/ and *.db)"
        raise DatasetsNotFound(f"{told} : ce dossier {what}.\n" + HOW_TO_BUILD)
    return found

