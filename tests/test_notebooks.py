"""The analysts' notebooks (notebooks/*.ipynb) and how they find the datasets
(``scoparchive.dataset.locate``): run in a real kernel, from a folder that is not the checkout,
on real builds; committed without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import REPO, run_cli
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from scoparchive import cli
from scoparchive.dataset.locate import (
    DEFAULT_PLACES,
    ENV_VAR,
    DatasetsNotFound,
    candidates,
    locate,
    read_build,
)

NOTEBOOKS = REPO / "notebooks"


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def execute(path: Path, cwd: Path, failing: bool = False) -> nbformat.NotebookNode:
    """The notebook run in a fresh kernel whose working directory is ``cwd``, stopping at the
    first cell that fails, as "Run all" does; ``failing``: one must."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    if failing:
        with pytest.raises(CellExecutionError):
            client.execute()
    else:
        client.execute()
    return notebook


def outputs(notebook, output_type: str | None = None) -> list:
    return [output for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", [])
            if output_type is None or output["output_type"] == output_type]


def images(notebook) -> list:
    return [output for output in outputs(notebook) if "image/png" in output.get("data", {})]


def text_of(notebook) -> str:
    return "\n".join(output.get("text", "") for output in outputs(notebook, "stream"))


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A working directory that is neither the checkout nor inside it."""
    folder = tmp_path / "ailleurs"
    folder.mkdir()
    assert not folder.resolve().is_relative_to(REPO)
    return folder


# The committed notebooks ----------------------------------------------------------------------

def test_there_are_the_two_notebooks():
    assert [path.name for path in notebook_paths()] == ["explore.ipynb", "history.ipynb"]


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.name)
def test_the_notebooks_are_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert dirty == [], f"{path.name}: cells {dirty} keep outputs; clear them before committing"


# Finding the build ----------------------------------------------------------------------------

def test_the_default_places_are_where_the_commands_write():
    assert DEFAULT_PLACES == (cli.DEFAULT_OUT, cli.DEMO_OUT)


def test_nothing_found_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(DatasetsNotFound) as caught:
        locate(start=tmp_path, checkout=None)
    message = str(caught.value)
    assert "Aucun jeu de données trouvé" in message and str(tmp_path) in message
    assert "make demo" in message and "scoparchive build" in message and ENV_VAR in message
    # In IPython the message is shown alone, instead of a traceback.
    assert caught.value._render_traceback_() == [f"DatasetsNotFound: {message}"]


def test_a_variable_naming_no_build_is_told(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "absent"))
    with pytest.raises(DatasetsNotFound, match=r"n'existe pas(.|\n)*make demo"):
        locate(start=tmp_path, checkout=None)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))  # a folder, but no build in it
    with pytest.raises(DatasetsNotFound, match="n'est pas un build"):
        locate(start=tmp_path, checkout=None)
    assert read_build(tmp_path) is None


def test_the_places_are_tried_from_the_working_directory_up(tmp_path):
    start = tmp_path / "projet" / "notebooks"
    tried = candidates(start, checkout=tmp_path / "depot")
    assert tried[:4] == [start / "datasets/build", start / "demo/datasets",
                         start.parent / "datasets/build", start.parent / "demo/datasets"]
    assert tried[-2:] == [tmp_path / "depot/datasets/build", tmp_path / "depot/demo/datasets"]


@pytest.mark.slow
def test_the_build_is_found_through_its_link_from_anywhere_below(built_replica, tmp_path,
                                                                 monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    project = tmp_path / "projet"
    start = project / "notebooks" / "brouillons"
    start.mkdir(parents=True)
    (project / "demo").mkdir()
    (project / "demo" / "datasets").symlink_to(built_replica.out)  # `out` is a link itself
    found = locate(start=start, checkout=None)
    assert found.folder == built_replica.out.resolve() and found.folder.name != "out"
    assert found.database == built_replica.database.resolve()
    assert found.parquet("articles").is_file() and found.package["resources"]

    other = tmp_path / "autre"
    other.mkdir()
    (project / "datasets").mkdir()
    (project / "datasets" / "build").symlink_to(other)  # not a build: passed over
    assert locate(start=start, checkout=None).folder == built_replica.out.resolve()

    monkeypatch.setenv(ENV_VAR, str(other))  # the variable, when set, is the only place
    with pytest.raises(DatasetsNotFound, match="n'est pas un build"):
        locate(start=start, checkout=None)


# The notebooks, run -------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.name)
def test_the_notebooks_run_on_a_build_from_elsewhere(path, built_replica, elsewhere,
                                                     monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(built_replica.out))
    notebook = execute(path, elsewhere)
    assert outputs(notebook, "error") == []
    assert images(notebook), f"{path.name} drew no chart"
    assert f"Données lues dans (datasets read from) : {built_replica.out.resolve()}" \
        in text_of(notebook)


@pytest.fixture(scope="module")
def two_runs_build(tmp_path_factory) -> Path:
    """The story of tests/test_history.py (three runs: an article added, one edited, one
    removed then back, one redirected away), written as an archive, then built."""
    from test_history import Story

    base = tmp_path_factory.mktemp("history-notebook")
    Story(base / "archive")
    run_cli("build", "--archive", str(base / "archive"), "--out", str(base / "out"))
    return base / "out"


@pytest.mark.slow
def test_the_history_notebook_shows_what_changed_between_runs(two_runs_build, elsewhere,
                                                              monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(two_runs_build))
    notebook = execute(NOTEBOOKS / "history.ipynb", elsewhere)
    assert outputs(notebook, "error") == [] and len(images(notebook)) >= 2
    text = text_of(notebook)
    assert "3 collecte(s)" in text
    assert "1 modification(s) d'article" in text
    assert "+Un chapeau entièrement réécrit." in text  # the edited lead, after
    tables = "\n".join(output["data"].get("text/plain", "")
                       for output in outputs(notebook, "execute_result"))
    assert "run-3" in tables and "retirées" in tables


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.name)
def test_without_a_build_the_first_cell_says_what_to_run(path, elsewhere, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(elsewhere))  # a folder with no build in it
    notebook = execute(path, elsewhere, failing=True)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [output for output in code[0].outputs if output["output_type"] == "error"]
    assert [error["ename"] for error in errors] == ["DatasetsNotFound"]
    shown = "\n".join(errors[0]["traceback"])
    assert "make demo" in shown and "scoparchive build" in shown
    assert "StopIteration" not in shown and "Traceback" not in shown
    assert all(not cell.get("outputs") for cell in code[1:]), "run all stops at the first cell"
