"""A cached response as stored: one header line, then the response body as sent.

    1 <stored at, ms since the epoch> <max age, s> <P|V> <tag>=<version>,<tag>=<version>...
    {"data":...}

``P`` is PUBLIC (shared by viewers of the same authorization context), ``V`` PRIVATE (one
viewer's). The tag versions are those the response was computed at; the entry is valid while
every tag still has that version (the stores check, ``core.cache.backends``).
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = b"1"


@dataclass(frozen=True)
class Entry:
    stored_at_ms: int
    max_age: int
    private: bool
    body: bytes


def encode(
    *, stored_at_ms: int, max_age: int, private: bool, tags: dict[str, int], body: bytes
) -> bytes:
    versions = ",".join(f"{tag}={version}" for tag, version in sorted(tags.items()))
    header = f"1 {stored_at_ms} {max_age} {'V' if private else 'P'} {versions}"
    return header.encode() + b"\n" + body


def decode(raw: bytes) -> Entry:
    header, _, body = raw.partition(b"\n")
    _, stored_at, max_age, scope, _tags = header.split(b" ", 4)
    return Entry(int(stored_at), int(max_age), scope == b"V", body)


def parse_tags(raw: bytes) -> dict[str, int]:
    """The tag versions of an entry's header (its last field)."""
    header = raw.partition(b"\n")[0]
    field = header.rpartition(b" ")[2]
    found = {}
    for pair in field.decode().split(","):
        if pair:
            tag, _, version = pair.partition("=")
            found[tag] = int(version)
    return found
