"""What the persisted-query registry keeps: only documents that parse, validate and pass the
request's limits, sent by a signed-in user or a device, and at most so many a day from each."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest

from cache import persisted as registry
from services.authentication import Viewer
from services.users import UserRole
from tests.helpers import ADMIN, bearer

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


def unique(document: str) -> str:
    """The document with a comment of its own: a hash no other test has registered."""
    return f"{document}\n# {uuid.uuid4()}"


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


async def send(
    client: httpx.AsyncClient, document: str | None, hashed: str, viewer: Viewer = ADMIN
) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": hashed}}}
    if document is not None:
        body["query"] = document
    response = await client.post("/graphql", json=body, headers=bearer(viewer))
    return response.json()  # type: ignore[no-any-return]


def codes(answer: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in answer.get("errors", [])]


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ teams { name ", "GRAPHQL_PARSE_FAILED"),
        ("{ teams { nickname } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ " + " ".join(f"a{i}: teams {{ name }}" for i in range(31)) + " }",
         "GRAPHQL_VALIDATION_FAILED"),  # 31 aliases
        ("{ " + " ".join(f"a{i}: employees(first: 100) {{ edges {{ node {{ activities(first: 100)"
                         f" {{ edges {{ node {{ itemsCount }} }} }} }} }} }}" for i in range(10))
         + " }", "COST_LIMIT_EXCEEDED"),
    ],
    ids=["does-not-parse", "unknown-field", "too-many-aliases", "too-costly"],
)  # fmt: skip
async def test_a_document_that_cannot_run_is_not_kept(
    client: httpx.AsyncClient, document: str, code: str
) -> None:
    document = unique(document)

    sent = await send(client, document, digest(document))
    later = await send(client, None, digest(document))

    assert codes(sent) == [code]
    assert codes(later) == [NOT_FOUND]


async def test_a_document_that_runs_is_kept_even_when_its_viewer_is_refused_a_field(
    client: httpx.AsyncClient,
) -> None:
    document = unique("{ apiKeys { name } }")
    employee = Viewer(user_id=7, role=UserRole.EMPLOYEE, employee_id=3)

    sent = await send(client, document, digest(document), employee)
    later = await send(client, None, digest(document))

    assert codes(sent) == ["FORBIDDEN"]  # an answer about this viewer, not the document
    assert later == {"data": {"apiKeys": []}}


async def test_each_registrant_adds_at_most_so_many_documents_a_day(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "REGISTRATIONS_PER_DAY", 2)
    one = Viewer(user_id=901, role=UserRole.ADMIN)
    other = Viewer(user_id=902, role=UserRole.ADMIN)
    documents = [unique("{ teams { name } }") for _ in range(4)]

    answers = [await send(client, d, digest(d), one) for d in documents[:3]]
    again = await send(client, documents[0], digest(documents[0]), one)  # known: no new one
    by_other = await send(client, documents[3], digest(documents[3]), other)
    found = [codes(await send(client, None, digest(d))) for d in documents]

    assert answers == [{"data": {"teams": []}}] * 3  # the third still runs, unkept
    assert again == by_other == {"data": {"teams": []}}
    assert found == [[], [], [NOT_FOUND], []]
