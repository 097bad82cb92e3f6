"""The optional compiled part of scoparchive: ``scoparchive/_speedups.pyx``.

Everything else is in pyproject.toml. The extension holds compiled forms of a few Python
functions (the page walk of ``scoparchive/pages/document.py`` above all; see
``scoparchive/speedups.py``). When Cython or a C compiler is missing, the build goes on without
it and scoparchive runs those functions in Python: same records, slower.
"""

from setuptools import Extension, setup


def extensions() -> list[Extension]:
    try:
        import lxml
        from Cython.Build import cythonize
    except ImportError:
        return []
    speedups = Extension(
        "scoparchive._speedups",
        ["scoparchive/_speedups.pyx"],
        include_dirs=lxml.get_include(),
        optional=True,  # a failed compilation is a warning: the pure Python walk stands in
    )
    return cythonize([speedups], language_level=3, quiet=True)


setup(ext_modules=extensions())
