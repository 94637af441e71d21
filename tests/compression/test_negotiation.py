"""Which coding a client gets, from its ``Accept-Encoding`` (RFC 9110): brotli before gzip when
both are taken as gladly, q-values weigh, ``q=0`` refuses, ``*`` stands for the codings not
named, and ``identity`` preferred means the body as it is."""

from __future__ import annotations

import pytest

from prodhub.compression import accept_encoding, negotiate

CASES = [
    (None, None),
    (b"", None),
    (b"gzip", "gzip"),
    (b"br", "br"),
    (b"gzip, deflate, br", "br"),
    (b"gzip, deflate, br, zstd", "br"),
    (b"deflate", None),
    (b"GZip", "gzip"),
    (b"x-gzip", "gzip"),
    (b"br;q=0.5, gzip", "gzip"),
    (b"br;q=0.8, gzip;q=0.8", "br"),
    (b"br ; q=1.000 , gzip;q=0.9", "br"),
    (b"gzip;q=0.001", "gzip"),
    (b"br;q=0, gzip", "gzip"),
    (b"br;q=0, gzip;q=0.0", None),
    (b"*", "br"),
    (b"*;q=0", None),
    (b"*, br;q=0", "gzip"),
    (b"*;q=0, gzip", "gzip"),
    (b"identity", None),
    (b"identity;q=1, gzip;q=0.5", None),
    (b"gzip, identity;q=0", "gzip"),
    (b"br;q=2, gzip;q=abc", None),  # not a q-value: refused
    (b"br;q=0.1, gzip;q=-1", "br"),
    (b",;q=1, ,", None),
]


@pytest.mark.parametrize(("header", "coding"), CASES)
def test_the_coding_a_client_gets(header: bytes | None, coding: str | None) -> None:
    assert negotiate(header) == coding


def test_a_long_header_is_read_as_a_short_one() -> None:
    assert negotiate(b"deflate, " * 40 + b"gzip") == "gzip"


def test_several_headers_are_one_list() -> None:
    headers = [
        (b"accept-encoding", b"gzip;q=0.5"),
        (b"x-other", b"br"),
        (b"accept-encoding", b"br"),
    ]

    assert accept_encoding(headers) == b"gzip;q=0.5,br"
    assert negotiate(accept_encoding(headers)) == "br"
    assert accept_encoding([(b"x-other", b"br")]) is None
