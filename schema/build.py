"""The executable schema: every domain's queries, mutations and Node types merged, with its
limits and error masking.

This is the one module that knows every domain: a domain (``schema/<domain>.py``) exports its
types, its ``<Domain>Queries`` and ``<Domain>Mutations`` and its ``NODES``, and is listed
here once. The root types' fields come in the order of these lists."""

from __future__ import annotations

import logging
from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema import (
    activities,
    analytics,
    api_keys,
    clock_records,
    connecteam,
    corrections,
    daily_reports,
    employees,
    flags,
    jobs,
    leaderboard,
    roles,
    staffing,
    team_stats,
    teams,
    users,
)
from schema.activities import install_fast_path
from schema.infra.document_cache import DocumentCache, DocumentStore
from schema.infra.errors import PublicErrors
from schema.infra.limits import CostLimit
from schema.infra.nodes import node_queries
from schema.infra.relay import shown
from schema.infra.scalars import SCALARS
from services.errors import UserError

log = logging.getLogger(__name__)

NODE_KINDS = (
    *employees.NODES,
    *teams.NODES,
    *roles.NODES,
    *activities.NODES,
    *clock_records.NODES,
    *api_keys.NODES,
    *flags.NODES,
    *users.NODES,
)
Query = merge_types(
    "Query",
    (
        users.UserQueries,
        node_queries(NODE_KINDS),
        employees.EmployeeQueries,
        flags.FlagQueries,
        leaderboard.LeaderboardQueries,
        team_stats.TeamStatsQueries,
        analytics.AnalyticsQueries,
        teams.TeamQueries,
        api_keys.ApiKeyQueries,
        jobs.JobQueries,
        connecteam.ConnecteamQueries,
        staffing.StaffingQueries,
        daily_reports.DailyReportQueries,
        roles.RoleQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        users.UserMutations,
        teams.TeamMutations,
        roles.RoleMutations,
        employees.EmployeeMutations,
        api_keys.ApiKeyMutations,
        activities.ActivityMutations,
        corrections.CorrectionMutations,
        jobs.JobMutations,
        flags.FlagMutations,
        connecteam.ConnecteamMutations,
    ),
)

MAX_TOKENS = 2000


def build_schema(
    *, production: bool = False, documents: DocumentStore | None = None
) -> strawberry.Schema:
    """The schema; ``documents`` keeps parsed documents (the HTTP view shares it) and refuses,
    as it parses them, those over the limits of ``schema.infra.limits.document`` (depth, aliases,
    expansion, directives) before validation or anything else reads them."""
    documents = documents or DocumentStore()
    # Factories, not instances: each request gets fresh extension state.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        CostLimit,
        PublicErrors,
        lambda: DocumentCache(documents),
    ]
    if production:
        extensions.append(DisableIntrospection)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        types=[kind.node_type for kind in NODE_KINDS],
        extensions=extensions,
        scalar_overrides=SCALARS,
        # In production, an error never hints at field names introspection would have shown.
        config=StrawberryConfig(disable_field_suggestions=production),
    )
    install_fast_path(schema._schema)
    return schema


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Expected failures are logged in one line; anything else with its traceback."""
        unexpected = []
        for error in errors:
            if error.path is None or isinstance(error.original_error, UserError):
                log.info("refused: %s", shown(error.message, 200))
            else:
                unexpected.append(error)
        super().process_errors(unexpected, execution_context)
