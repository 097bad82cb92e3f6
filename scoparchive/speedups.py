"""The optional compiled helpers: ``scoparchive/_speedups.pyx``, built by ``setup.py``.

They do in C, for speed, what a Python function of scoparchive does, with the same result: the
page walk of ``pages/document.py`` over libxml2's nodes, and a few scans of text. The Python
functions stay the reference, and the ones that run where the module is missing; tests hold
both to equal output (``tests/test_speedups.py``).

``SCOPARCHIVE_PURE_PYTHON=1`` turns the module off. A build older than its source (an edited
``_speedups.pyx``, not yet rebuilt by ``make install``) is not used either: it would read pages
as the source no longer says.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from types import ModuleType

SOURCE = Path(__file__).with_name("_speedups.pyx")


@functools.cache
def compiled() -> ModuleType | None:
    """The compiled module, or None where scoparchive runs in pure Python."""
    if os.environ.get("SCOPARCHIVE_PURE_PYTHON"):
        return None
    try:
        from scoparchive import _speedups
    except ImportError:
        return None
    built = Path(_speedups.__file__)
    if SOURCE.exists() and SOURCE.stat().st_mtime > built.stat().st_mtime:
        warnings.warn(
            f"{built.name} is older than {SOURCE.name}: scoparchive runs in pure Python until "
            "`make install` (or `pip install -e .`) rebuilds it",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    return _speedups
