"""Managing users: ``createUser``, ``updateUser``, ``setPassword`` (admins), ``changePassword``
(the signed-in user), the ``users`` list (admins): typed payload errors, audited, a refused
one changes nothing, and a change of what a token vouches for ends the user's tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services import api_keys, users
from services.api_keys import ApiKeyScope
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, ServerStatements, StatementCounter, gid

PASSWORD = "correct horse battery"
NEW_PASSWORD = "lamp stapler orbit"
USER_FIELDS = "user { email role active employee { code } teams { key } }"
CREATE = f"""mutation($input: CreateUserInput!) {{
  createUser(input: $input) {{ {USER_FIELDS} errors {{ field code message }} }} }}"""
UPDATE = f"""mutation($input: UpdateUserInput!) {{
  updateUser(input: $input) {{ {USER_FIELDS} errors {{ field code message }} }} }}"""
SET_PASSWORD = """mutation($userId: ID!, $password: String!) {
  setPassword(userId: $userId, password: $password) { user { email } errors { field code message } } }"""
CHANGE_PASSWORD = """mutation($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new) { user { email } errors { field code message } } }"""
USERS = """query($first: Int, $after: String) {
  users(first: $first, after: $after) {
    edges { cursor node { email role active employee { code } teams { key } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token errors { code } } }"""
TEAMS = "{ teams { key } }"
REVOKED = {
    "data": None,
    "errors": [{"message": "the access token is no longer valid; sign in again",
                "locations": [{"line": 1, "column": 3}], "path": ["teams"],
                "extensions": {"code": "UNAUTHENTICATED"}}],
}  # fmt: skip
MANAGER = Viewer(
    user_id=2, email="boss@example.com", role=UserRole.MANAGER, team_ids=frozenset({1})
)
EMPLOYEE = Viewer(user_id=3, email="ana@example.com", role=UserRole.EMPLOYEE, employee_id=1)


@pytest.fixture(autouse=True)
async def admin_user(db: Database) -> None:
    """The user behind ``ADMIN``'s token: the audit log refers to it."""
    await helpers.add(
        db, models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
    )


async def counts(db: Database) -> dict[str, int]:
    async with db.read_session() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in (models.User, models.AuditLog)
        }


async def user_rows(db: Database) -> list[tuple[Any, ...]]:
    """Every user as stored, password hash included."""
    async with db.read_session() as session:
        rows = await session.scalars(select(models.User).order_by(models.User.id))
        return [
            (r.id, r.email, r.role, r.team_ids, r.employee_id, r.active, r.password_hash)
            for r in rows
        ]


async def audit_trail(db: Database) -> list[tuple[Any, ...]]:
    async with db.read_session() as session:
        rows = await session.scalars(select(models.AuditLog).order_by(models.AuditLog.id))
        return [(r.actor_label, r.action, r.entity, r.before, r.after) for r in rows]


async def make_user(db: Database, email: str, role: UserRole, **fields: Any) -> models.User:
    async with db.session() as session, session.begin():
        return await users.create_user(
            session=session, email=email, password=PASSWORD, role=role, **fields
        )


async def sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> GraphQLClient:
    """A client with the token ``login`` gives (it carries the user's stamp)."""
    body = await GraphQLClient(http).data(LOGIN, email=email, password=password)
    assert body["login"]["errors"] == [], body
    return GraphQLClient(http, {"Authorization": f"Bearer {body['login']['token']}"})


async def login_code(http: httpx.AsyncClient, email: str, password: str) -> str | None:
    body = await GraphQLClient(http).data(LOGIN, email=email, password=password)
    return None if not body["login"]["errors"] else str(body["login"]["errors"][0]["code"])


# --- createUser ----------------------------------------------------------------------------


async def test_an_admin_creates_a_manager_and_an_employee_audited_without_the_hash(
    db: Database, gql: GraphQLClient
) -> None:
    north = await helpers.team(db, key="north")
    south = await helpers.team(db, key="south")
    ana = await helpers.employee(db, code="E1")

    manager = (
        await gql.data(
            CREATE,
            input={"email": " Boss@Example.com ", "role": "MANAGER", "password": PASSWORD,
                   "teamIds": [gid("Team", south.id), gid("Team", north.id)]},
        )
    )["createUser"]  # fmt: skip
    employee = (
        await gql.data(
            CREATE,
            input={"email": "ana@example.com", "role": "EMPLOYEE", "password": NEW_PASSWORD,
                   "employeeId": gid("Employee", ana.id), "active": False},
        )
    )["createUser"]  # fmt: skip

    assert manager == {
        "user": {"email": "boss@example.com", "role": "MANAGER", "active": True,
                 "employee": None, "teams": [{"key": "north"}, {"key": "south"}]},
        "errors": [],
    }  # fmt: skip
    assert employee == {
        "user": {"email": "ana@example.com", "role": "EMPLOYEE", "active": False,
                 "employee": {"code": "E1"}, "teams": []},
        "errors": [],
    }  # fmt: skip
    stored = await user_rows(db)
    assert [row[:6] for row in stored] == [
        (1, "admin@example.com", "ADMIN", [], None, True),
        (stored[1][0], "boss@example.com", "MANAGER", sorted([north.id, south.id]), None, True),
        (stored[2][0], "ana@example.com", "EMPLOYEE", [], ana.id, False),
    ]
    assert [row[6][:9] for row in stored[1:]] == ["$argon2id", "$argon2id"]
    trail = await audit_trail(db)
    assert trail == [
        ("admin@example.com", "create", "users", None,
         {"id": stored[1][0], "email": "boss@example.com", "role": "MANAGER",
          "employee_id": None, "team_ids": sorted([north.id, south.id]), "active": True}),
        ("admin@example.com", "create", "users", None,
         {"id": stored[2][0], "email": "ana@example.com", "role": "EMPLOYEE",
          "employee_id": ana.id, "team_ids": [], "active": False}),
    ]  # fmt: skip
    assert "argon2" not in str(trail)


Ids = dict[str, int]
CREATE_ERRORS: list[tuple[str, Callable[[Ids], dict[str, Any]], dict[str, Any]]] = [
    ("taken-email", lambda ids: {"email": "ADMIN@example.com", "role": "ADMIN"},
     {"field": "email", "code": "CONFLICT", "message": "a user with email admin@example.com exists"}),
    ("bad-email", lambda ids: {"email": "nobody", "role": "ADMIN"},
     {"field": "email", "code": "BAD_USER_INPUT", "message": "`email` is not an email address"}),
    ("manager-without-teams", lambda ids: {"email": "m@example.com", "role": "MANAGER"},
     {"field": "teamIds", "code": "BAD_USER_INPUT", "message": "a MANAGER manages at least one team"}),
    ("manager-empty-teams", lambda ids: {"email": "m@example.com", "role": "MANAGER", "teamIds": []},
     {"field": "teamIds", "code": "BAD_USER_INPUT", "message": "a MANAGER manages at least one team"}),
    ("teams-of-an-admin", lambda ids: {"email": "a@example.com", "role": "ADMIN",
                                       "teamIds": [gid("Team", ids["team"])]},
     {"field": "teamIds", "code": "BAD_USER_INPUT", "message": "only a MANAGER has teams, not an ADMIN"}),
    ("unknown-team", lambda ids: {"email": "m@example.com", "role": "MANAGER",
                                  "teamIds": [gid("Team", ids["team"]), gid("Team", ids["team"] + 99)]},
     {"field": "teamIds", "code": "NOT_FOUND", "message": "no such team: teamIds[1]"}),
    ("malformed-team-id", lambda ids: {"email": "m@example.com", "role": "MANAGER", "teamIds": ["nope"]},
     {"field": "teamIds", "code": "BAD_USER_INPUT", "message": "malformed id 'nope'"}),
    ("employee-id-as-team", lambda ids: {"email": "m@example.com", "role": "MANAGER",
                                         "teamIds": [gid("Employee", ids["free"])]},
     {"field": "teamIds", "code": "BAD_USER_INPUT",
      "message": "id {id} is of type Employee, expected Team"}),
    ("employee-without-record", lambda ids: {"email": "e@example.com", "role": "EMPLOYEE"},
     {"field": "employeeId", "code": "BAD_USER_INPUT",
      "message": "an EMPLOYEE user is linked to their employee record"}),
    ("unknown-employee", lambda ids: {"email": "e@example.com", "role": "EMPLOYEE",
                                      "employeeId": gid("Employee", ids["free"] + 99)},
     {"field": "employeeId", "code": "NOT_FOUND", "message": "no such employee"}),
    ("employee-record-taken", lambda ids: {"email": "e@example.com", "role": "EMPLOYEE",
                                           "employeeId": gid("Employee", ids["taken"])},
     {"field": "employeeId", "code": "CONFLICT",
      "message": "this employee record is already user linked@example.com's"}),
    ("short-password", lambda ids: {"email": "a@example.com", "role": "ADMIN", "password": "short"},
     {"field": "password", "code": "BAD_USER_INPUT", "message": "a password has 10 to 256 characters"}),
    ("common-password", lambda ids: {"email": "a@example.com", "role": "ADMIN", "password": "password123"},
     {"field": "password", "code": "BAD_USER_INPUT",
      "message": "this password is too common or too easy to guess: try three or four unrelated words"}),
]  # fmt: skip


@pytest.fixture
async def ids(db: Database) -> Ids:
    """A team, an employee record nobody has, and one that is user linked@example.com's."""
    team = await helpers.team(db, key="north")
    free = await helpers.employee(db)
    taken = await helpers.employee(db)
    await make_user(db, "linked@example.com", UserRole.EMPLOYEE, employee_id=taken.id)
    return {"team": team.id, "free": free.id, "taken": taken.id}


@pytest.mark.parametrize(
    ("payload", "error"), [c[1:] for c in CREATE_ERRORS], ids=[c[0] for c in CREATE_ERRORS]
)
async def test_a_refused_create_is_a_payload_error_and_changes_nothing(
    db: Database,
    gql: GraphQLClient,
    ids: Ids,
    payload: Callable[[Ids], dict[str, Any]],
    error: dict[str, Any],
) -> None:
    before = await user_rows(db), await counts(db)
    given = {"password": PASSWORD} | payload(ids)
    named = (given.get("teamIds") or [""])[0]  # what a message about a wrong id echoes
    error = error | {"message": error["message"].replace("{id}", repr(named))}

    answer = (await gql.data(CREATE, input=given))["createUser"]

    assert answer == {"user": None, "errors": [error]}
    assert (await user_rows(db), await counts(db)) == before


# --- updateUser ----------------------------------------------------------------------------


async def test_an_admin_changes_a_user_step_by_step_each_change_audited(
    db: Database, gql: GraphQLClient
) -> None:
    north = await helpers.team(db, key="north")
    ana = await helpers.employee(db, code="E1")
    target = await make_user(db, "boss@example.com", UserRole.MANAGER, team_ids=[north.id])
    user_id = gid("User", target.id)

    renamed = await gql.data(UPDATE, input={"id": user_id, "email": "Chief@Example.com"})
    demoted = await gql.data(
        UPDATE, input={"id": user_id, "role": "EMPLOYEE", "teamIds": [],
                       "employeeId": gid("Employee", ana.id)},
    )  # fmt: skip
    promoted = await gql.data(UPDATE, input={"id": user_id, "role": "ADMIN", "employeeId": None})
    deactivated = await gql.data(UPDATE, input={"id": user_id, "active": False})

    assert [a["updateUser"] for a in (renamed, demoted, promoted, deactivated)] == [
        {"user": {"email": "chief@example.com", "role": "MANAGER", "active": True,
                  "employee": None, "teams": [{"key": "north"}]}, "errors": []},
        {"user": {"email": "chief@example.com", "role": "EMPLOYEE", "active": True,
                  "employee": {"code": "E1"}, "teams": []}, "errors": []},
        {"user": {"email": "chief@example.com", "role": "ADMIN", "active": True,
                  "employee": None, "teams": []}, "errors": []},
        {"user": {"email": "chief@example.com", "role": "ADMIN", "active": False,
                  "employee": None, "teams": []}, "errors": []},
    ]  # fmt: skip
    state: dict[str, Any] = {"id": target.id, "email": "boss@example.com", "role": "MANAGER",
                             "employee_id": None, "team_ids": [north.id], "active": True}  # fmt: skip
    steps: list[dict[str, Any]] = [
        {"email": "chief@example.com"},
        {"role": "EMPLOYEE", "team_ids": [], "employee_id": ana.id},
        {"role": "ADMIN", "employee_id": None},
        {"active": False},
    ]
    expected = []
    for step in steps:
        expected.append(("admin@example.com", "update", "users", state, state | step))
        state = state | step
    assert await audit_trail(db) == expected


async def test_an_update_that_changes_nothing_writes_nothing(
    db: Database, gql: GraphQLClient
) -> None:
    target = await make_user(db, "boss@example.com", UserRole.ADMIN)
    before = await user_rows(db), await counts(db)

    answer = await gql.data(
        UPDATE, input={"id": gid("User", target.id), "email": "BOSS@example.com", "active": True}
    )

    assert answer["updateUser"]["errors"] == []
    assert (await user_rows(db), await counts(db)) == before


UPDATE_ERRORS: list[tuple[str, Callable[[Ids], dict[str, Any]], dict[str, Any]]] = [
    ("unknown-user", lambda ids: {"id": gid("User", ids["manager"] + 99), "active": False},
     {"field": "id", "code": "NOT_FOUND", "message": "no such user"}),
    ("not-a-user-id", lambda ids: {"id": gid("Team", ids["team"]), "active": False},
     {"field": "id", "code": "BAD_USER_INPUT",
      "message": "id {id} is of type Team, expected User"}),
    ("taken-email", lambda ids: {"id": gid("User", ids["manager"]), "email": "linked@example.com"},
     {"field": "email", "code": "CONFLICT", "message": "a user with email linked@example.com exists"}),
    ("bad-email", lambda ids: {"id": gid("User", ids["manager"]), "email": "@"},
     {"field": "email", "code": "BAD_USER_INPUT", "message": "`email` is not an email address"}),
    ("manager-loses-all-teams", lambda ids: {"id": gid("User", ids["manager"]), "teamIds": []},
     {"field": "teamIds", "code": "BAD_USER_INPUT", "message": "a MANAGER manages at least one team"}),
    ("demoted-keeping-teams", lambda ids: {"id": gid("User", ids["manager"]), "role": "ADMIN"},
     {"field": "teamIds", "code": "BAD_USER_INPUT", "message": "only a MANAGER has teams, not an ADMIN"}),
    ("unknown-team", lambda ids: {"id": gid("User", ids["manager"]),
                                  "teamIds": [gid("Team", ids["team"] + 99)]},
     {"field": "teamIds", "code": "NOT_FOUND", "message": "no such team: teamIds[0]"}),
    ("employee-unlinked", lambda ids: {"id": gid("User", ids["linked"]), "employeeId": None},
     {"field": "employeeId", "code": "BAD_USER_INPUT",
      "message": "an EMPLOYEE user is linked to their employee record"}),
    ("employee-record-taken", lambda ids: {"id": gid("User", ids["manager"]),
                                           "employeeId": gid("Employee", ids["taken"])},
     {"field": "employeeId", "code": "CONFLICT",
      "message": "this employee record is already user linked@example.com's"}),
    ("unknown-employee", lambda ids: {"id": gid("User", ids["manager"]),
                                      "employeeId": gid("Employee", ids["free"] + 99)},
     {"field": "employeeId", "code": "NOT_FOUND", "message": "no such employee"}),
    ("demotes-oneself", lambda ids: {"id": gid("User", ADMIN.user_id or 0), "role": "EMPLOYEE",
                                     "employeeId": gid("Employee", ids["free"])},
     {"field": "role", "code": "BAD_USER_INPUT", "message": "you cannot demote yourself: another admin can"}),
    ("null-active", lambda ids: {"id": gid("User", ids["manager"]), "active": None},
     {"field": "active", "code": "BAD_USER_INPUT",
      "message": "`active` cannot be null: leave it out to keep it"}),
    ("null-teams", lambda ids: {"id": gid("User", ids["manager"]), "teamIds": None},
     {"field": "teamIds", "code": "BAD_USER_INPUT",
      "message": "`teamIds` cannot be null: leave it out to keep it"}),
    ("deactivates-oneself", lambda ids: {"id": gid("User", ADMIN.user_id or 0), "active": False},
     {"field": "active", "code": "BAD_USER_INPUT",
      "message": "you cannot deactivate yourself: another admin can"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "error"), [c[1:] for c in UPDATE_ERRORS], ids=[c[0] for c in UPDATE_ERRORS]
)
async def test_a_refused_update_is_a_payload_error_and_changes_nothing(
    db: Database,
    gql: GraphQLClient,
    ids: Ids,
    payload: Callable[[Ids], dict[str, Any]],
    error: dict[str, Any],
) -> None:
    manager = await make_user(db, "boss@example.com", UserRole.MANAGER, team_ids=[ids["team"]])
    linked = (await user_rows(db))[1][0]
    given = payload(ids | {"manager": manager.id, "linked": linked})
    error = error | {"message": error["message"].replace("{id}", repr(given["id"]))}
    before = await user_rows(db), await counts(db)

    answer = (await gql.data(UPDATE, input=given))["updateUser"]

    assert answer == {"user": None, "errors": [error]}
    assert (await user_rows(db), await counts(db)) == before


# --- passwords -----------------------------------------------------------------------------


async def test_an_admin_sets_a_password_audited_without_the_hash(
    db: Database, gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    target = await make_user(db, "boss@example.com", UserRole.ADMIN)

    answer = await gql.data(SET_PASSWORD, userId=gid("User", target.id), password=NEW_PASSWORD)

    assert answer == {"setPassword": {"user": {"email": "boss@example.com"}, "errors": []}}
    assert await login_code(client, "boss@example.com", PASSWORD) == "INVALID_CREDENTIALS"
    assert await login_code(client, "boss@example.com", NEW_PASSWORD) is None
    state = {"id": target.id, "email": "boss@example.com", "role": "ADMIN",
             "employee_id": None, "team_ids": [], "active": True}  # fmt: skip
    assert await audit_trail(db) == [("admin@example.com", "set_password", "users", state, state)]


@pytest.mark.parametrize(
    ("target", "password", "error"),
    [
        ("missing", NEW_PASSWORD, {"field": "userId", "code": "NOT_FOUND", "message": "no such user"}),
        ("boss", "boss@example.com", {"field": "password", "code": "BAD_USER_INPUT",
          "message": "this password is too common or too easy to guess: try three or four unrelated words"}),
        ("boss", "x" * 257, {"field": "password", "code": "BAD_USER_INPUT",
                             "message": "a password has 10 to 256 characters"}),
        ("not-an-id", NEW_PASSWORD, {"field": "userId", "code": "BAD_USER_INPUT",
                                     "message": "malformed id 'not-an-id'"}),
    ],
    ids=["unknown-user", "own-email", "too-long", "malformed-id"],
)  # fmt: skip
async def test_a_refused_set_password_changes_nothing(
    db: Database, gql: GraphQLClient, target: str, password: str, error: dict[str, Any]
) -> None:
    boss = await make_user(db, "boss@example.com", UserRole.ADMIN)
    user_id = {"boss": gid("User", boss.id), "missing": gid("User", boss.id + 99)}.get(
        target, target
    )
    before = await user_rows(db), await counts(db)

    answer = (await gql.data(SET_PASSWORD, userId=user_id, password=password))["setPassword"]

    assert answer == {"user": None, "errors": [error]}
    assert (await user_rows(db), await counts(db)) == before


async def test_a_user_changes_their_password_given_the_old_one(
    db: Database, client: httpx.AsyncClient
) -> None:
    team = await helpers.team(db, key="north")
    await make_user(db, "boss@example.com", UserRole.MANAGER, team_ids=[team.id])
    boss = await sign_in(client, "boss@example.com")
    unchanged = await user_rows(db), await counts(db)

    wrong = await boss.data(CHANGE_PASSWORD, old="not my password", new=NEW_PASSWORD)
    weak = await boss.data(CHANGE_PASSWORD, old=PASSWORD, new="password123")
    after_refusals = await user_rows(db), await counts(db)
    changed = await boss.data(CHANGE_PASSWORD, old=PASSWORD, new=NEW_PASSWORD)
    with_old_token = await boss.execute(TEAMS)

    assert wrong == {"changePassword": {"user": None, "errors": [
        {"field": "oldPassword", "code": "BAD_USER_INPUT", "message": "the old password is wrong"}
    ]}}  # fmt: skip
    assert weak == {"changePassword": {"user": None, "errors": [
        {"field": "newPassword", "code": "BAD_USER_INPUT",
         "message": "this password is too common or too easy to guess: try three or four unrelated words"}
    ]}}  # fmt: skip
    assert after_refusals == unchanged
    assert changed == {"changePassword": {"user": {"email": "boss@example.com"}, "errors": []}}
    assert with_old_token == REVOKED
    assert await login_code(client, "boss@example.com", PASSWORD) == "INVALID_CREDENTIALS"
    assert await (await sign_in(client, "boss@example.com", NEW_PASSWORD)).data(TEAMS) == {
        "teams": [{"key": "north"}]
    }
    trail = await audit_trail(db)
    assert [(actor, action, entity) for actor, action, entity, _, _ in trail] == [
        ("boss@example.com", "change_password", "users")
    ]
    assert trail[0][3] == trail[0][4] == {
        "id": (await user_rows(db))[1][0], "email": "boss@example.com", "role": "MANAGER",
        "employee_id": None, "team_ids": [team.id], "active": True,
    }  # fmt: skip


async def test_wrong_old_passwords_count_as_failed_sign_ins(
    db: Database, client: httpx.AsyncClient
) -> None:
    """A stolen token is no way to guess the password at leisure: past 5 wrong ones from an
    address, that address is refused for the account, the right password too."""
    await make_user(db, "boss@example.com", UserRole.ADMIN)
    boss = await sign_in(client, "boss@example.com")

    codes = []
    for old in [f"guess number {n}" for n in range(5)] + [PASSWORD]:
        answer = await boss.data(CHANGE_PASSWORD, old=old, new=NEW_PASSWORD)
        codes.append(answer["changePassword"]["errors"][0]["code"])

    assert codes == ["BAD_USER_INPUT"] * 5 + ["RATE_LIMITED"]
    assert await login_code(client, "boss@example.com", PASSWORD) == "RATE_LIMITED"
    assert (await counts(db))["audit_log"] == 0


# --- tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "ends"),
    [
        ({"active": False}, True),
        ({"role": "ADMIN", "teamIds": []}, True),
        ({"teamIds": ["south"]}, True),
        ({"employeeId": "record"}, True),
        ({"password": NEW_PASSWORD}, True),
        ({"email": "chief@example.com"}, False),
    ],
    ids=["deactivated", "role", "teams", "employee-record", "set-password", "email-only"],
)
async def test_a_change_through_the_mutations_ends_the_users_tokens(
    db: Database, gql: GraphQLClient, client: httpx.AsyncClient, change: dict[str, Any], ends: bool
) -> None:
    north = await helpers.team(db, key="north")
    south = await helpers.team(db, key="south")
    record = await helpers.employee(db)
    created = await gql.data(
        CREATE, input={"email": "boss@example.com", "role": "MANAGER", "password": PASSWORD,
                       "teamIds": [gid("Team", north.id)]},
    )  # fmt: skip
    await make_user(db, "other@example.com", UserRole.MANAGER, team_ids=[north.id])
    boss, colleague = (
        await sign_in(client, "boss@example.com"),
        await sign_in(client, "other@example.com"),
    )
    user_id = (await user_rows(db))[1][0]
    assert created["createUser"]["errors"] == []
    assert await boss.execute(TEAMS) == {"data": {"teams": [{"key": "north"}, {"key": "south"}]}}

    if "password" in change:
        answer = (await gql.data(SET_PASSWORD, userId=gid("User", user_id), **change))[
            "setPassword"
        ]
    else:
        given = {k: [gid("Team", south.id)] if v == ["south"] else v for k, v in change.items()}
        if given.get("employeeId") == "record":
            given["employeeId"] = gid("Employee", record.id)
        answer = (await gql.data(UPDATE, input={"id": gid("User", user_id)} | given))["updateUser"]
    after = await boss.execute(TEAMS)

    assert answer["errors"] == []
    if ends:
        assert after == REVOKED
    else:
        assert after == {"data": {"teams": [{"key": "north"}, {"key": "south"}]}}
    assert await colleague.execute(TEAMS) == {
        "data": {"teams": [{"key": "north"}, {"key": "south"}]}
    }


# --- who may -------------------------------------------------------------------------------

ADMIN_MUTATIONS = ("createUser", "updateUser", "setPassword")


async def device_client(db: Database, http: httpx.AsyncClient) -> GraphQLClient:
    async with db.session() as session, session.begin():
        key = await api_keys.create_api_key(
            session=session, actor=ADMIN, name="Dock scanner", scope=ApiKeyScope.INGEST
        )
    return GraphQLClient(http, {"Authorization": f"Bearer {key.secret}"})


async def asked_by(who: str, db: Database, gql: GraphQLClient) -> tuple[GraphQLClient, str | None]:
    """A client as ``who``, and the code its refusal has (None: allowed)."""
    match who:
        case "admin":
            return gql, None
        case "manager":
            return gql.signed_in_as(MANAGER), "FORBIDDEN"
        case "employee":
            return gql.signed_in_as(EMPLOYEE), "FORBIDDEN"
        case "device":
            return await device_client(db, gql.http), "FORBIDDEN"
    return gql.signed_in_as(None), "UNAUTHENTICATED"


@pytest.mark.parametrize("who", ["admin", "manager", "employee", "anonymous", "device"])
@pytest.mark.parametrize("mutation", ADMIN_MUTATIONS)
async def test_only_admins_manage_users(
    db: Database, gql: GraphQLClient, who: str, mutation: str
) -> None:
    target = await make_user(db, "target@example.com", UserRole.ADMIN)
    asker, code = await asked_by(who, db, gql)
    asked: dict[str, tuple[str, dict[str, Any]]] = {
        "createUser": (CREATE, {"input": {"email": "new@example.com", "role": "ADMIN",
                                          "password": PASSWORD}}),
        "updateUser": (UPDATE, {"input": {"id": gid("User", target.id), "active": False}}),
        "setPassword": (SET_PASSWORD, {"userId": gid("User", target.id), "password": NEW_PASSWORD}),
    }  # fmt: skip
    document, variables = asked[mutation]
    before = await user_rows(db), await counts(db)

    body = await asker.execute(document, **variables)

    rows, after = await user_rows(db), await counts(db)
    if code is None:
        assert body["data"][mutation]["errors"] == []
        assert after["audit_log"] == before[1]["audit_log"] + 1
        assert rows != before[0]
    else:
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]
        assert (rows, after) == before  # refused: nothing written


@pytest.mark.parametrize(
    ("who", "code"), [("anonymous", "UNAUTHENTICATED"), ("device", "FORBIDDEN")]
)
async def test_change_password_needs_a_signed_in_user(
    db: Database, gql: GraphQLClient, who: str, code: str
) -> None:
    asker, _ = await asked_by(who, db, gql)
    before = await user_rows(db), await counts(db)

    body = await asker.execute(CHANGE_PASSWORD, old=PASSWORD, new=NEW_PASSWORD)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    assert (await user_rows(db), await counts(db)) == before


@pytest.mark.parametrize("who", ["manager", "employee", "anonymous", "device"])
async def test_only_admins_list_users_or_fetch_one(
    db: Database, gql: GraphQLClient, who: str
) -> None:
    asker, code = await asked_by(who, db, gql)
    node = "query($id: ID!) { node(id: $id) { id } }"

    listed = await asker.execute(USERS, first=10)
    fetched = await asker.execute(node, id=gid("User", ADMIN.user_id or 0))

    assert listed["data"] is None
    assert [e["extensions"]["code"] for e in listed["errors"]] == [code]
    if who in ("manager", "employee"):  # a node they may not see does not exist
        assert fetched == {"data": {"node": None}}
    assert (await gql.data(node, id=gid("User", ADMIN.user_id or 0)))["node"] == {
        "id": gid("User", ADMIN.user_id or 0)
    }


async def test_a_user_shows_no_password_hash(gql: GraphQLClient) -> None:
    found = await gql.data('{ __type(name: "User") { fields { name } } }')

    assert sorted(f["name"] for f in found["__type"]["fields"]) == [
        "active", "email", "employee", "id", "role", "teams",
    ]  # fmt: skip


# --- the list ------------------------------------------------------------------------------


async def test_users_are_listed_by_email_a_page_at_a_time(db: Database, gql: GraphQLClient) -> None:
    team = await helpers.team(db, key="north")
    for n in (3, 1, 4, 2):
        await make_user(db, f"lead-{n}@example.com", UserRole.MANAGER, team_ids=[team.id])

    pages, after = [], None
    while True:
        found = (await gql.data(USERS, first=2, after=after))["users"]
        pages.append(([e["node"]["email"] for e in found["edges"]],
                      found["pageInfo"]["hasNextPage"], found["pageInfo"]["hasPreviousPage"]))  # fmt: skip
        after = found["pageInfo"]["endCursor"]
        if not found["pageInfo"]["hasNextPage"]:
            break
    foreign = await gql.execute(USERS, first=2, after="bm90IG91cnM.AAAAAAAAAAAAAAAAAAAAAA")
    oversized = await gql.execute(USERS, first=101)

    assert pages == [
        (["admin@example.com", "lead-1@example.com"], True, False),
        (["lead-2@example.com", "lead-3@example.com"], True, True),
        (["lead-4@example.com"], False, True),
    ]
    assert [e["extensions"]["code"] for e in foreign["errors"]] == ["BAD_CURSOR"]
    assert [e["extensions"]["code"] for e in oversized["errors"]] == ["BAD_USER_INPUT"]


USERS_PAGE = """query($first: Int!) {
  users(first: $first) { edges { node { email employee { name } teams { name } } } } }"""
# The page of users, then their employee records and their teams, one batch each.
USERS_SELECTS = 3


@pytest.mark.parametrize("n", [1, 50])
async def test_a_users_page_costs_the_same_statements_for_1_or_50(
    db: Database,
    gql: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    n: int,
) -> None:
    teams = [await helpers.team(db) for _ in range(3)]
    people = [models.Employee(code=f"U{i:04d}", name=f"Lead {i:04d}") for i in range(50)]
    await helpers.add(db, *people)
    await helpers.add(
        db,
        *(
            models.User(
                email=f"a-lead-{i:04d}@example.com", password_hash="-", role="MANAGER",
                employee_id=p.id, team_ids=[teams[i % 3].id, teams[(i + 1) % 3].id],
            )
            for i, p in enumerate(people)
        ),
    )  # fmt: skip
    await gql.data(USERS_PAGE, first=n)  # the pool has its connections

    statements.counting = True
    if server is not None:
        server.start()
    data = await gql.data(USERS_PAGE, first=n)
    seen_by_server = server.stop() if server is not None else None
    statements.counting = False

    edges = data["users"]["edges"]
    assert len(edges) == n
    assert edges[0]["node"] == {
        "email": "a-lead-0000@example.com", "employee": {"name": "Lead 0000"},
        "teams": [{"name": teams[0].name}, {"name": teams[1].name}],
    }  # fmt: skip
    assert statements.count == USERS_SELECTS, [s[:90] for s in statements.statements]
    if seen_by_server is not None:  # SELECTs only: no transaction, no ROLLBACK, no SET, no ping
        assert seen_by_server == {
            "Questions": USERS_SELECTS, "Com_select": USERS_SELECTS, "Com_commit": 0,
            "Com_rollback": 0, "Com_set_option": 0, "Com_admin_commands": 0,
        }  # fmt: skip
