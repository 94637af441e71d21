"""Connecteam's REST API: the client and the parts of its payloads we read."""
