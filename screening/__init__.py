"""screening: a staged, auditable literature-screening pipeline for systematic reviews."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("screening")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.9.0"

__all__ = ["__version__"]
