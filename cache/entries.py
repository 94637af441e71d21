"""A cached response as stored: a header under the response's key, and the body under a name
of its own content (``body_id``), as sent without a content coding and, for a body of at least
``cache.compression.MIN_BYTES``, also in brotli and gzip (``Bodies``), compressed once when
it is stored: a hit sends the coding its client accepts, as stored, and compresses nothing.

    3 <stored at, ms since the epoch> <max age, s> <P|V> <body id> <tag>=<version>,...

``P`` is PUBLIC (shared by viewers of the same authorization context), ``V`` PRIVATE (one
viewer's). The tag versions are those the response was computed at; the entry is valid while
every tag still has that version (the stores check, ``cache.backends``).

A body never changes under its name, so a process may keep a copy of it as long as it likes:
a lookup then reads only the small header (is the entry still valid, and which body) and
serves its own copy, without moving a 34 KB leaderboard over the network for every hit.

A release before kept the body alone, with headers of version 2: their entries are misses
(``is_current``), and their bodies are under other keys (``cache.backends.BODY_PREFIX``), so
neither release ever reads the other's body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from hashlib import blake2b

from cache.compression import CODINGS, Coding

VERSION = b"3"


@dataclass(frozen=True)
class Bodies:
    """A response's body as sent without a content coding (``identity``), and in each coding
    it was compressed in (none for a small one)."""

    identity: bytes
    encoded: Mapping[Coding, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.identity) + sum(len(b) for b in self.encoded.values())


@dataclass(frozen=True)
class Entry:
    stored_at_ms: int
    max_age: int
    private: bool
    body: bytes
    encoded: Mapping[Coding, bytes] = field(default_factory=dict)

    def sent(self, coding: Coding | None) -> tuple[bytes, Coding | None]:
        """The bytes to send a client that takes ``coding``, and their coding (None: the
        body itself, when the client takes none or the body is too small to compress)."""
        found = self.encoded.get(coding) if coding is not None else None
        return (self.body, None) if found is None else (found, coding)


def body_id(body: bytes) -> str:
    """The name of a response's bodies: of the body itself, whose codings follow from it."""
    return blake2b(body, digest_size=16).hexdigest()


def pack(bodies: Bodies) -> bytes:
    """The bytes stored in Redis: the lengths of the body and of each of ``CODINGS`` (0 when
    absent) on a first line, then each of them in that order."""
    parts = [bodies.identity, *(bodies.encoded.get(c, b"") for c in CODINGS)]
    return b" ".join(b"%d" % len(p) for p in parts) + b"\n" + b"".join(parts)


def unpack(packed: bytes) -> Bodies:
    lengths, _, rest = packed.partition(b"\n")
    sizes = [int(n) for n in lengths.split(b" ")]
    if len(sizes) != 1 + len(CODINGS) or sum(sizes) != len(rest):
        raise ValueError("not a packed response body")
    view, start, parts = memoryview(rest), 0, []
    for size in sizes:
        parts.append(bytes(view[start : start + size]))
        start += size
    identity, *encoded = parts
    return Bodies(identity, {c: b for c, b in zip(CODINGS, encoded, strict=True) if b})


def encode(
    *, stored_at_ms: int, max_age: int, private: bool, tags: dict[str, int], body_id: str
) -> bytes:
    versions = ",".join(f"{tag}={version}" for tag, version in sorted(tags.items()))
    scope = "V" if private else "P"
    return f"3 {stored_at_ms} {max_age} {scope} {body_id} {versions}".encode()


def is_current(header: bytes) -> bool:
    """Whether ``header`` is of this format (an entry of an older release is a miss)."""
    return header.startswith(VERSION + b" ") and header.count(b" ") == 5


def body_id_of(header: bytes) -> str:
    return header.split(b" ", 5)[4].decode()


def decode(header: bytes, bodies: Bodies) -> Entry:
    _, stored_at, max_age, scope, _body_id, _tags = header.split(b" ", 5)
    return Entry(int(stored_at), int(max_age), scope == b"V", bodies.identity, bodies.encoded)


def expires_at(header: bytes) -> float:
    """When an entry stops being served, seconds since the epoch: stored, plus its max age
    (its TTL in a store is never longer)."""
    _, stored_at, max_age, _ = header.split(b" ", 3)
    return int(stored_at) / 1000 + int(max_age)


def parse_tags(header: bytes) -> dict[str, int]:
    """The tag versions of an entry's header (its last field)."""
    field = header.rpartition(b" ")[2]
    found = {}
    for pair in field.decode().split(","):
        if pair:
            tag, _, version = pair.partition("=")
            found[tag] = int(version)
    return found
