"""The bottom layer: settings, the Redis client and the response cache stores.

It imports nothing of ours; everything else may import it.
"""
