"""Every table of the domain, importable from one place (Alembic reads ``Base.metadata``)."""

from db.models.activity import Activity, ClockBreak, ClockRecord, ScheduledShift
from db.models.base import Base
from db.models.org import Employee, Role, Team
from db.models.scores import Badge, DailyScore, Flag, IdlePeriod
from db.models.system import ApiKey, AuditLog, JobControl, JobRun, SyncRun, User

__all__ = [
    "Activity",
    "ApiKey",
    "AuditLog",
    "Badge",
    "Base",
    "ClockBreak",
    "ClockRecord",
    "DailyScore",
    "Employee",
    "Flag",
    "IdlePeriod",
    "JobControl",
    "JobRun",
    "Role",
    "ScheduledShift",
    "SyncRun",
    "Team",
    "User",
]
