"""Live updates: what changed (events), when it may be told (after commit), how it travels between
processes (the bus) and how one process shares it among its subscribers (the hub).

    service write --publish(Event)--> after commit --> bus (in process, or Redis pub/sub)
        --> every process's hub: the topic's entity reloaded once --> each subscriber's latest slot
"""
