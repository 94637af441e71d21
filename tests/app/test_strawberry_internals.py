"""What this app uses of Strawberry beyond its documented API, checked against the installed
version so that an upgrade that changes it fails here, by name, and not as a silent loss of
the response cache or the request budget.

- ``prodhub.graphql_app.GraphQLApp.execute_single`` overrides the HTTP view's method of that
  name (the cache, the coalescing of identical requests and the request budget live there):
  the view must still route every HTTP operation through it, with the same parameters.
- ``strawberry.Schema._schema`` is the graphql-core schema the cost limit, the document cache,
  the cache policies and the recordActivities fast path read.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLSchema
from strawberry.http.async_base_view import AsyncBaseHTTPView

from prodhub.graphql_app import GraphQLApp
from schema.build import build_schema


def _parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_view_still_has_the_execute_single_we_override() -> None:
    ours = _parameters(GraphQLApp.execute_single)

    assert ours == _parameters(AsyncBaseHTTPView.execute_single)
    assert ours == [
        "self", "request", "request_adapter", "sub_response", "context", "root_value",
        "request_data",
    ]  # fmt: skip


def test_every_http_operation_goes_through_execute_single() -> None:
    source = inspect.getsource(AsyncBaseHTTPView.execute_operation)

    # The single operation and each of a batch; streams (subscriptions) do not go through it.
    assert source.count("self.execute_single(") == 2
    assert GraphQLApp.execute_operation is AsyncBaseHTTPView.execute_operation


def test_the_schema_still_holds_its_graphql_core_schema_as_underscore_schema() -> None:
    schema = build_schema()

    assert isinstance(schema, strawberry.Schema)
    assert isinstance(schema._schema, GraphQLSchema)
    assert schema._schema.query_type is not None
    assert schema._schema.query_type.name == "Query"
