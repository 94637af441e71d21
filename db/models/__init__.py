"""Every table of the domain, importable from one place (Alembic reads ``Base.metadata``)."""

from db.models.activities import Activity
from db.models.audit import AuditLog
from db.models.badges import Badge, Streak
from db.models.base import Base
from db.models.clock_records import ClockBreak, ClockRecord
from db.models.connecteam import ConnecteamUser
from db.models.employees import Employee
from db.models.flags import Flag
from db.models.jobs import JobControl, JobRun, SyncRun
from db.models.reports import DailyReport
from db.models.roles import Role
from db.models.schedules import ScheduledShift
from db.models.scores import DailyScore, IdlePeriod
from db.models.standards import StandardSet
from db.models.teams import Team
from db.models.users import ApiKey, User

__all__ = [
    "Activity",
    "ApiKey",
    "AuditLog",
    "Badge",
    "Base",
    "ClockBreak",
    "ClockRecord",
    "ConnecteamUser",
    "DailyReport",
    "DailyScore",
    "Employee",
    "Flag",
    "IdlePeriod",
    "JobControl",
    "JobRun",
    "Role",
    "ScheduledShift",
    "StandardSet",
    "Streak",
    "SyncRun",
    "Team",
    "User",
]
