"""Subscription events executed once for every subscriber who asks the same of the same value.

graphql-core executes a subscription's selection for each event of each subscriber. When many
subscribers of one live value send the same operation with the same variables (a wall of
dashboards on one board), their results are the same: the context decides
(``shared_execution``, ``resolvers.live.LiveContext``) whether an execution is shared, and
anything else runs as graphql-core's own.
"""

from __future__ import annotations

from typing import Any

from graphql import OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class SharedEvents(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        share = getattr(self.context_value, "shared_execution", None)
        if share is None or self.operation.operation is not OperationType.SUBSCRIPTION:
            return super().execute_operation(serially)
        return share(lambda: super(SharedEvents, self).execute_operation(serially))
