"""The bottom layer: the settings and the Redis clients.

It imports nothing of ours; everything else may import it.
"""
