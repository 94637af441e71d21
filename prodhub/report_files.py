"""Daily reports as CSV over HTTP: ``GET /reports/daily.csv?teamId=…&date=YYYY-MM-DD``, the team
by its Team id or its key, with the same ``Authorization`` as the GraphQL API, for the same
people as ``dailyReport``.

Like a GraphQL request, it is answered within ``EXECUTION_TIMEOUT_SECONDS`` in all (its
credentials and its report: ``prodhub.request_budget``); a database that fails, or does not
answer in that time, is a 503 with ``Retry-After``, never a hang or a bare 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from db.outages import database_unavailable
from prodhub import graphql_app
from prodhub.credentials import CredentialsUnchecked
from prodhub.graphql_app import GraphQLApp
from prodhub.request_budget import budget_of
from resolvers.context import Context
from resolvers.daily_reports import daily_report_csv, team_id_by_key
from schema.infra.errors import UNAVAILABLE_MESSAGE
from schema.infra.relay import expect_global_id, from_global_id, shown
from schema.infra.scalars import parse_day
from schema.teams import TeamType
from services.errors import BadInput, Forbidden, NotFound, UserError

STATUS = {Forbidden: 403, NotFound: 404}
TEAM_ID = "`teamId`: a Team id or a team key"
RETRY_AFTER_SECONDS = 5


def csv_route(graphql: GraphQLApp) -> Callable[[Request], Awaitable[Response]]:
    async def daily_csv(request: Request) -> Response:
        seconds = graphql_app.EXECUTION_TIMEOUT_SECONDS
        budget = budget_of(request.scope, seconds)
        try:
            ctx = await graphql.get_context(request, Response())
        except HTTPException as refused:  # several Authorization headers
            return PlainTextResponse(refused.reason, status_code=refused.status_code)
        except CredentialsUnchecked as unchecked:
            return _unavailable(unchecked.message)
        if not ctx.viewer.is_authenticated:
            reason = ctx.auth_error or "sign in: send `Authorization: Bearer <token>`"
            return PlainTextResponse(reason, status_code=401,
                                     headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        try:
            async with budget.spend():
                team_id = await _team_id(ctx, request.query_params.get("teamId", ""))
                day = _date(request.query_params.get("date", ""))
                team, text = await daily_report_csv(ctx, team_id, day)
        except UserError as refused:
            return PlainTextResponse(refused.message, status_code=STATUS.get(type(refused), 400))
        except TimeoutError:
            return _unavailable(f"the report took longer than {seconds:g} s and was stopped")
        except Exception as failed:
            if database_unavailable(failed):
                return _unavailable(UNAVAILABLE_MESSAGE)
            raise
        filename = f"daily-report-{team.key}-{day.isoformat()}.csv"
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"',
                     "Cache-Control": "private, no-store"},
        )  # fmt: skip

    return daily_csv


def _unavailable(reason: str) -> Response:
    return PlainTextResponse(
        reason, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


async def _team_id(ctx: Context, value: str) -> int:
    """The team a ``teamId`` names: a Team id (as GraphQL takes it) or a team's key."""
    if not value:
        raise BadInput(f"missing {TEAM_ID}", field="teamId")
    try:
        from_global_id(value)
    except BadInput:  # not an id: a key, then
        found = await team_id_by_key(ctx, value)
        if found is None:
            raise NotFound(f"no team has the id or key {shown(value)}; {TEAM_ID}") from None
        return found
    try:
        return expect_global_id(value, TeamType)
    except BadInput as wrong:
        raise BadInput(f"{wrong.message}; {TEAM_ID}", field="teamId") from None


def _date(value: str) -> date:
    try:
        return parse_day(value[:40])
    except ValueError:
        raise BadInput("`date` is a date: YYYY-MM-DD, from 1900 to 2999", field="date") from None
