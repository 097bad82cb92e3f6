"""The optional compiled part of scoparchive: ``scoparchive/pages/_walk.pyx``.

Everything else is in pyproject.toml. The extension is the compiled form of the page walk in
``scoparchive/pages/document.py``; when Cython or a C compiler is missing, the build goes on
without it and scoparchive reads pages in pure Python (same records, slower).
"""

from setuptools import Extension, setup


def extensions() -> list[Extension]:
    try:
        import lxml
        from Cython.Build import cythonize
    except ImportError:
        return []
    walk = Extension(
        "scoparchive.pages._walk",
        ["scoparchive/pages/_walk.pyx"],
        include_dirs=lxml.get_include(),
        optional=True,  # a failed compilation is a warning: the pure Python walk stands in
    )
    return cythonize([walk], language_level=3, quiet=True)


setup(ext_modules=extensions())
