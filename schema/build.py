"""The executable schema: every domain's queries, mutations and Node types merged, with its
limits and error masking.

This is the one module that knows every domain: a domain (``schema/<domain>.py``) exports its
types, its ``<Domain>Queries``, ``<Domain>Mutations`` (and ``<Domain>Subscriptions``) and its
``NODES``, and is listed here once. The root types' fields come in the order of these lists."""

from __future__ import annotations

import logging
from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from db.outages import database_unavailable
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
    standards,
    team_stats,
    teams,
    users,
    work_speed,
)
from schema.activities import install_fast_path
from schema.infra.document_cache import DocumentCache, DocumentStore
from schema.infra.errors import UNAVAILABLE, PublicErrors, request_error_code
from schema.infra.limits import CostLimit
from schema.infra.nodes import node_queries
from schema.infra.relay import shown
from schema.infra.scalars import SCALARS
from schema.infra.shared_events import SharedEvents
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
        standards.StandardQueries,
        work_speed.WorkSpeedQueries,
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
Subscription = merge_types("Subscription", (leaderboard.LeaderboardSubscriptions,))

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
        subscription=Subscription,
        types=[kind.node_type for kind in NODE_KINDS],
        extensions=extensions,
        scalar_overrides=SCALARS,
        # A subscription's event runs once for the subscribers who ask the same of it.
        execution_context_class=SharedEvents,
        # In production, an error never hints at field names introspection would have shown.
        config=StrawberryConfig(disable_field_suggestions=production),
    )
    install_fast_path(schema._schema)
    return schema


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """An expected failure (a ``UserError``, an error about the request itself) is one
        line with its code and message, no traceback. The database unreachable is one line
        for the request, with its code, and no traceback. Anything else is logged with its
        traceback once: the same failure under fifty fields is one line, with its count."""
        unexpected: dict[tuple[type, str], list[GraphQLError]] = {}
        outage: list[GraphQLError] = []
        for error in errors:
            original = error.original_error
            if isinstance(original, UserError):
                log.info("refused: %s", shown(error.message, 200), extra={"code": original.code})
            elif error.path is None:
                code = (error.extensions or {}).get("code") or request_error_code(error.message)
                message = _without_values(error.message)
                log.info("refused: %s", shown(message, 200), extra={"code": code})
            elif database_unavailable(original):
                outage.append(error)
            else:
                unexpected.setdefault((type(original), str(original)), []).append(error)
        if outage:
            first = outage[0].original_error
            log.warning(
                "database unavailable",
                extra={"code": UNAVAILABLE, "error": _one_line(first), "count": len(outage)},
            )
        for same in unexpected.values():
            first = same[0]
            failure: BaseException = first.original_error or first
            log.error(
                "unexpected error",
                exc_info=(type(failure), failure, failure.__traceback__),
                extra={"code": "INTERNAL_SERVER_ERROR", "path": _path(first), "count": len(same)},
            )


def _without_values(message: str) -> str:
    """A variable's coercion error without the value it echoes (a password, a token)."""
    if message.startswith("Variable '$") and "invalid value" in message:
        name = message.removeprefix("Variable '").partition("'")[0]
        return f"Variable '{name}' has an invalid value."
    return message


def _one_line(error: BaseException | None) -> str:
    """The exception's type and its message's first line, cut at 200 characters."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _path(error: GraphQLError) -> str | None:
    return ".".join(str(part) for part in error.path) if error.path else None
