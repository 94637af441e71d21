"""Who is asking (``viewer``) and signing in; the users who sign in (admins list, add and
change them; each changes their own password)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from strawberry import Maybe

from db import models
from resolvers import sessions
from resolvers import users as resolve
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.infra.cache_control import cached
from schema.infra.nodes import NodeKind
from schema.infra.payloads import Errors, PayloadErrorType, answered
from schema.infra.permissions import IsAdmin, SignedIn
from schema.infra.relay import Connection, Node, connection_of, expect_global_id, global_id
from schema.teams import TeamType
from services import user_admin
from services.authentication import Permission, Viewer
from services.errors import BadInput
from services.user_admin import KEEP, NewUser, UserChange
from services.users import UserRole

T = TypeVar("T")

# strawberry.enum makes the class itself the GraphQL enum; the alias keeps the *Type name.
strawberry.enum(UserRole, name="UserRole")
UserRoleType = UserRole
strawberry.enum(Permission, name="Permission")
PermissionType = Permission


@strawberry.type(name="Viewer", description="Who is asking, and what they may see.")
class ViewerType:
    authenticated: bool
    email: str | None
    role: UserRoleType | None
    permissions: list[PermissionType] = strawberry.field(
        description="What the viewer may do; the server still checks every field."
    )
    employee_id: strawberry.Private[int | None]
    team_ids: strawberry.Private[frozenset[int]]

    @strawberry.field(description="The viewer's own employee record (role EMPLOYEE).")
    async def employee(self, info: Info) -> EmployeeType | None:
        return await _employee(info, self.employee_id)

    @strawberry.field(description="The teams a manager manages.")
    async def teams(self, info: Info) -> list[TeamType]:
        return await _teams(info, self.team_ids)

    @classmethod
    def of(cls, viewer: Viewer) -> ViewerType:
        return cls(
            authenticated=viewer.is_authenticated,
            email=viewer.email,
            role=viewer.role,
            permissions=viewer.permissions,
            employee_id=viewer.employee_id,
            team_ids=viewer.team_ids,
        )


@strawberry.type(
    name="User", description="Someone who signs in (admins see them); never their password."
)
class UserType(Node):
    email: str
    role: UserRoleType
    active: bool = strawberry.field(description="An inactive user cannot sign in.")
    employee_id: strawberry.Private[int | None]
    team_ids: strawberry.Private[frozenset[int]]

    @strawberry.field(description="The employee record the user is (role EMPLOYEE; optional "
                      "for others).")  # fmt: skip
    async def employee(self, info: Info) -> EmployeeType | None:
        return await _employee(info, self.employee_id)

    @strawberry.field(description="The teams a manager manages.")
    async def teams(self, info: Info) -> list[TeamType]:
        return await _teams(info, self.team_ids)

    @classmethod
    def from_row(cls, row: models.User) -> UserType:
        return cls(
            id=global_id(cls, row.id),
            email=row.email,
            role=UserRole(row.role),
            active=row.active,
            employee_id=row.employee_id,
            team_ids=frozenset(row.team_ids or ()),
        )


async def _employee(info: Info, employee_id: int | None) -> EmployeeType | None:
    if employee_id is None:
        return None
    row = await info.context.loaders.by_id(models.Employee).load(employee_id)
    return EmployeeType.from_row(row) if row else None


async def _teams(info: Info, team_ids: frozenset[int]) -> list[TeamType]:
    """In order of id, loaded together (one batch for every user of a page)."""
    loader = info.context.loaders.by_id(models.Team)
    rows = await loader.load_many(sorted(team_ids))
    return [TeamType.from_row(row) for row in rows if row is not None]


NODES = (NodeKind(UserType, models.User, admin_only=True),)


@strawberry.type(name="LoginPayload")
class LoginPayloadType:
    token: str | None = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: dt.datetime | None
    viewer: ViewerType | None
    errors: list[PayloadErrorType]


@strawberry.type(name="UserPayload")
class UserPayloadType:
    user: UserType | None
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, row: models.User | None, errors: Errors) -> UserPayloadType:
        return cls(user=UserType.from_row(row) if row else None, errors=errors)


@strawberry.input(name="CreateUserInput")
class CreateUserInputType:
    email: str
    role: UserRoleType
    password: str = strawberry.field(
        description="10 to 256 characters that are not easy to guess: a few unrelated words."
    )
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The teams a MANAGER manages (at least one; only a MANAGER)."
    )
    employee_id: strawberry.ID | None = strawberry.field(
        default=None, description="The employee record the user is (required for an EMPLOYEE)."
    )
    active: bool = True


@strawberry.input(
    name="UpdateUserInput",
    description="The user `id`, and what to change; what is left out stays. Only `employeeId` "
    "may be null (it unlinks the record).",
)
class UpdateUserInputType:
    id: strawberry.ID
    email: Maybe[str | None] = None
    role: Maybe[UserRoleType | None] = None
    team_ids: Maybe[list[strawberry.ID] | None] = strawberry.field(
        default=None, description="The teams a MANAGER manages, all of them (replaces the list)."
    )
    employee_id: Maybe[strawberry.ID | None] = strawberry.field(
        default=None, description="The employee record the user is; null unlinks it."
    )
    active: Maybe[bool | None] = strawberry.field(
        default=None, description="False: the user cannot sign in, and their tokens end."
    )


@strawberry.type
class UserQueries:
    @strawberry.field(
        description="Who is asking; anonymous without a valid token.",
        directives=cached(300, private=True),
    )
    def viewer(self, info: Info) -> ViewerType:
        return ViewerType.of(info.context.viewer)

    @strawberry.field(
        description="Everyone who signs in, by email (admins); page size at most 100.",
        permission_classes=[IsAdmin],
    )
    async def users(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[UserType]:
        page = await sessions.page(
            info.context, user_admin.USER_ORDER, user_admin.list_users,
            first=first, after=after, prime=models.User,
        )  # fmt: skip
        return connection_of(page, UserType.from_row)


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="A token for `Authorization: Bearer <token>`.")
    async def login(self, info: Info, email: str, password: str) -> LoginPayloadType:
        outcome = await resolve.login(info.context, email, password)
        if isinstance(outcome, resolve.Refused):
            error = PayloadErrorType(field=None, code=outcome.code, message=outcome.message)
            return LoginPayloadType(token=None, expires_at=None, viewer=None, errors=[error])
        return LoginPayloadType(
            token=outcome.token,
            expires_at=outcome.expires_at,
            viewer=ViewerType.of(outcome.viewer),
            errors=[],
        )

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="A user who signs in: an ADMIN, a MANAGER of `teamIds`, or an EMPLOYEE "
        "who is `employeeId` (audited).",
    )
    async def create_user(self, info: Info, input: CreateUserInputType) -> UserPayloadType:
        async def work() -> models.User:
            new = NewUser(
                email=input.email,
                role=UserRole(input.role),
                password=input.password,
                team_ids=_team_db_ids(input.team_ids or []),
                employee_id=_employee_db_id(input.employee_id),
                active=input.active,
            )
            production = info.context.settings.is_production
            return await sessions.change(
                info.context, user_admin.add_user, new=new, production=production
            )

        return await _answered(work)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Change a user (audited); a change of role, teams, employee record or "
        "`active` ends their tokens.",
    )
    async def update_user(self, info: Info, input: UpdateUserInputType) -> UserPayloadType:
        async def work() -> models.User:
            role = _given(input.role, "role")
            team_ids = _given(input.team_ids, "teamIds")
            change = UserChange(
                user_id=_db_id(input.id, UserType, "id"),
                email=_given(input.email, "email"),
                role=UserRole(role) if role is not None else None,
                team_ids=_team_db_ids(team_ids) if team_ids is not None else None,
                employee_id=(
                    _employee_db_id(input.employee_id.value) if input.employee_id else KEEP
                ),
                active=_given(input.active, "active"),
            )
            return await sessions.change(info.context, user_admin.update_user, change=change)

        return await _answered(work)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Give a user a new password (audited); their tokens end.",
    )
    async def set_password(
        self, info: Info, user_id: strawberry.ID, password: str
    ) -> UserPayloadType:
        async def work() -> models.User:
            return await sessions.change(
                info.context,
                user_admin.reset_password,
                user_id=_db_id(user_id, UserType, "userId"),
                password=password,
                production=info.context.settings.is_production,
            )

        return await _answered(work)

    @strawberry.mutation(
        permission_classes=[SignedIn],
        description="Your new password, given your current one (audited). Every token of "
        "yours ends with it, this one too: sign in again.",
    )
    async def change_password(
        self, info: Info, old_password: str, new_password: str
    ) -> UserPayloadType:
        async def work() -> models.User:
            return await resolve.change_password(info.context, old_password, new_password)

        return await _answered(work)


async def _answered(work: Callable[[], Awaitable[models.User]]) -> UserPayloadType:
    """The payload of a user mutation: its user, or its expected failure (ids that are not
    ones of the right type included: ``work`` reads them) as payload errors."""
    return await answered(work(), UserPayloadType.of)


def _db_id(value: str, node_type: type[Any], field: str) -> int:
    """The database id of a global id of ``node_type``; ``BadInput`` at ``field`` if not one."""
    try:
        return expect_global_id(value, node_type)
    except BadInput as refused:
        raise BadInput(refused.message, field=field) from None


def _team_db_ids(values: list[strawberry.ID]) -> list[int]:
    return [_db_id(value, TeamType, "teamIds") for value in values]


def _employee_db_id(value: str | None) -> int | None:
    return None if value is None else _db_id(value, EmployeeType, "employeeId")


def _given(value: Maybe[T | None], field: str) -> T | None:
    """What the input gives (None: left out); a null where only a value may go is refused
    (GraphQL lets a nullable input be null, and a null here would say nothing)."""
    if value is None:
        return None
    if value.value is None:
        raise BadInput(f"`{field}` cannot be null: leave it out to keep it", field=field)
    return value.value
