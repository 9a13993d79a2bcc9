"""screening: a staged, auditable literature-screening pipeline for systematic reviews."""

# The version lives here, in the code, and pyproject.toml reads it (dynamic version): stage
# reports stamp the version of the code that ran, which an install's metadata is not after a
# `git pull` without reinstalling (acceptance testing: a clone's reports said another version).
__version__ = "0.22.0"

__all__ = ["__version__"]
