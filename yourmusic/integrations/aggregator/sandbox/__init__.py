"""Aggregator sandbox: a 7digital API 1.2-style catalogue over bundled Chinook data.

It is the product's embedded default upstream and the fixture tests and
benchmarks talk to over real HTTP; see PROVENANCE.md for the data's origin.
"""

from .app import ORJSONResponse, create_app
from .catalog import Catalog, get_catalog
from .control import SandboxControl
from .server import run

__all__ = ["Catalog", "ORJSONResponse", "SandboxControl", "create_app", "get_catalog", "run"]
