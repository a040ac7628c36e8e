"""``python -m yourmusic.integrations.aggregator.sandbox --port P``."""

from .server import main

main()
