"""`python -m yourmusic.integrations.streaming.sandbox --port P`."""

from .server import main

main()
