"""Reports as CSV over HTTP, with the same ``Authorization`` as the GraphQL API:

- ``GET /reports/daily.csv?teamId=…&date=YYYY-MM-DD``, the team by its Team id or its key, for
  the same people as ``dailyReport``;
- ``GET /exports/work-speed.csv?employeeId=…&from=YYYY-MM-DD&to=YYYY-MM-DD``, an employee's
  work-speed data, as ``workSpeedExport`` gives it (and audited the same way), streamed one
  day at a time.

Like a GraphQL request, each is answered within ``EXECUTION_TIMEOUT_SECONDS`` in all (its
credentials and its report, or for the export everything up to its first day:
``prodhub.request_budget``); a database that fails, or does not answer in that time, is a 503
with ``Retry-After``, never a hang or a bare 500. Once an export's first day is sent, the
rest must follow within ``STREAM_SECONDS``, else the response is cut short (the client sees
an incomplete body, never a complete-looking one)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from datetime import date

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from db.outages import database_unavailable
from prodhub import graphql_app
from prodhub.credentials import CredentialsUnchecked
from prodhub.graphql_app import GraphQLApp
from prodhub.request_budget import budget_of
from resolvers import work_speed
from resolvers.context import Context
from resolvers.daily_reports import daily_report_csv, team_id_by_key
from schema.employees import EmployeeType
from schema.infra.errors import UNAVAILABLE_MESSAGE
from schema.infra.relay import expect_global_id, from_global_id, shown
from schema.infra.scalars import parse_day
from schema.teams import TeamType
from services.errors import BadInput, Forbidden, NotFound, UserError
from services.work_speed.requests import ExportFormat

STATUS = {Forbidden: 403, NotFound: 404}
TEAM_ID = "`teamId`: a Team id or a team key"
RETRY_AFTER_SECONDS = 5
STREAM_SECONDS = 60.0
CSV_TYPE = "text/csv; charset=utf-8"
UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


def csv_route(graphql: GraphQLApp) -> Callable[[Request], Awaitable[Response]]:
    async def daily_csv(request: Request) -> Response:
        seconds = graphql_app.EXECUTION_TIMEOUT_SECONDS
        budget = budget_of(request.scope, seconds)
        ctx = await _signed_in(graphql, request)
        if isinstance(ctx, Response):
            return ctx
        try:
            async with budget.spend():
                team_id = await _team_id(ctx, request.query_params.get("teamId", ""))
                day = _date(request.query_params.get("date", ""), "date")
                team, text = await daily_report_csv(ctx, team_id, day)
        except Exception as failed:
            return _refused(failed, seconds)
        filename = f"daily-report-{team.key}-{day.isoformat()}.csv"
        return Response(text, media_type=CSV_TYPE, headers=_attachment(filename))

    return daily_csv


def work_speed_route(graphql: GraphQLApp) -> Callable[[Request], Awaitable[Response]]:
    async def work_speed_csv(request: Request) -> Response:
        seconds = graphql_app.EXECUTION_TIMEOUT_SECONDS
        budget = budget_of(request.scope, seconds)
        ctx = await _signed_in(graphql, request)
        if isinstance(ctx, Response):
            return ctx
        lines: AsyncGenerator[str] | None = None
        try:
            async with budget.spend():
                params = request.query_params
                employee_id = _employee_id(params.get("employeeId", ""))
                first = _date(params.get("from", ""), "from")
                last = _date(params.get("to", ""), "to")
                employee = await work_speed.requested(
                    ctx, employee_id, first, last, ExportFormat.CSV
                )
                lines = work_speed.csv_lines(ctx, employee, first, last)
                # the header, and the first day: its statements answered before a byte is sent
                opening = await anext(lines) + await anext(lines, "")
        except Exception as failed:
            if lines is not None:
                await lines.aclose()
            return _refused(failed, seconds)
        code = UNSAFE_IN_NAME.sub("_", employee.code)[:40]
        filename = f"work-speed-{code}-{first.isoformat()}-{last.isoformat()}.csv"
        return StreamingResponse(
            _within(STREAM_SECONDS, opening, lines), media_type=CSV_TYPE,
            headers=_attachment(filename),
        )  # fmt: skip

    return work_speed_csv


async def _within(seconds: float, opening: str, rest: AsyncGenerator[str]) -> AsyncIterator[bytes]:
    """``opening`` and then ``rest``, as UTF-8, each part taken within what is left of
    ``seconds`` (``TimeoutError`` when it runs out: the response is cut short)."""
    deadline = asyncio.get_running_loop().time() + seconds
    yield opening.encode()
    async with aclosing(rest):
        while True:
            async with asyncio.timeout_at(deadline):
                part = await anext(rest, None)
            if part is None:
                return
            yield part.encode()


async def _signed_in(graphql: GraphQLApp, request: Request) -> Context | Response:
    """The request's context when it is a signed-in user's, else the response that says why
    not (several ``Authorization`` headers, credentials not checked in time, none valid)."""
    try:
        ctx = await graphql.get_context(request, Response())
    except HTTPException as refused:  # several Authorization headers
        return PlainTextResponse(refused.reason, status_code=refused.status_code)
    except CredentialsUnchecked as unchecked:
        return _unavailable(unchecked.message)
    if not ctx.viewer.is_authenticated:
        reason = ctx.auth_error or "sign in: send `Authorization: Bearer <token>`"
        return PlainTextResponse(reason, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return ctx


def _refused(failed: Exception, seconds: float) -> Response:
    """The answer to a request that failed before its body: its expected failure, 503 for a
    database that failed or a budget spent; anything else is raised again."""
    if isinstance(failed, UserError):
        return PlainTextResponse(failed.message, status_code=STATUS.get(type(failed), 400))
    if isinstance(failed, TimeoutError):
        return _unavailable(f"the report took longer than {seconds:g} s and was stopped")
    if database_unavailable(failed):
        return _unavailable(UNAVAILABLE_MESSAGE)
    raise failed


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store"}  # fmt: skip


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


def _employee_id(value: str) -> int:
    if not value:
        raise BadInput("missing `employeeId`: an Employee id", field="employeeId")
    try:
        return expect_global_id(value, EmployeeType)
    except BadInput as wrong:
        raise BadInput(f"`employeeId`: {wrong.message}", field="employeeId") from None


def _date(value: str, name: str) -> date:
    try:
        return parse_day(value[:40])
    except ValueError:
        raise BadInput(f"`{name}` is a date: YYYY-MM-DD, from 1900 to 2999", field=name) from None
