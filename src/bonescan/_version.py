"""The one place the package version is set."""

__version__ = "0.1.0"
