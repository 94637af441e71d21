"""A cached response as stored: a header under the response's key, and the body as sent under
a name of its own content (``body_id``).

    2 <stored at, ms since the epoch> <max age, s> <P|V> <body id> <tag>=<version>,...

``P`` is PUBLIC (shared by viewers of the same authorization context), ``V`` PRIVATE (one
viewer's). The tag versions are those the response was computed at; the entry is valid while
every tag still has that version (the stores check, ``cache.backends``).

A body never changes under its name, so a process may keep a copy of it as long as it likes:
a lookup then reads only the small header (is the entry still valid, and which body) and
serves its own copy, without moving a 34 KB leaderboard over the network for every hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b

VERSION = b"2"


@dataclass(frozen=True)
class Entry:
    stored_at_ms: int
    max_age: int
    private: bool
    body: bytes


def body_id(body: bytes) -> str:
    return blake2b(body, digest_size=16).hexdigest()


def encode(
    *, stored_at_ms: int, max_age: int, private: bool, tags: dict[str, int], body_id: str
) -> bytes:
    versions = ",".join(f"{tag}={version}" for tag, version in sorted(tags.items()))
    scope = "V" if private else "P"
    return f"2 {stored_at_ms} {max_age} {scope} {body_id} {versions}".encode()


def is_current(header: bytes) -> bool:
    """Whether ``header`` is of this format (an entry of an older release is a miss)."""
    return header.startswith(VERSION + b" ") and header.count(b" ") == 5


def body_id_of(header: bytes) -> str:
    return header.split(b" ", 5)[4].decode()


def decode(header: bytes, body: bytes) -> Entry:
    _, stored_at, max_age, scope, _body_id, _tags = header.split(b" ", 5)
    return Entry(int(stored_at), int(max_age), scope == b"V", body)


def parse_tags(header: bytes) -> dict[str, int]:
    """The tag versions of an entry's header (its last field)."""
    field = header.rpartition(b" ")[2]
    found = {}
    for pair in field.decode().split(","):
        if pair:
            tag, _, version = pair.partition("=")
            found[tag] = int(version)
    return found
