"""Connecteam's REST API (SPEC §6): the client and the parts of its payloads we read."""
