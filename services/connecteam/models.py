"""What we read of Connecteam's payloads (``shared/connecteam/openapi.json``), typed.

Only the fields the sync jobs use are declared; the rest of each object is ignored, so a field
Connecteam adds never breaks a sync. Instants are epoch seconds with the punch's own IANA zone.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class User(Payload):
    user_id: int = Field(alias="userId")
    first_name: str = Field(alias="firstName")
    last_name: str = Field(alias="lastName")
    email: str | None = None
    is_archived: bool = Field(default=False, alias="isArchived")
    modified_at: int | None = Field(default=None, alias="modifiedAt")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class TimeClock(Payload):
    id: int
    name: str
    is_archived: bool = Field(alias="isArchived")


class TimePoint(Payload):
    timestamp: int  # epoch seconds
    timezone: str  # the punch's IANA zone


class Shift(Payload):
    """A clock-in; without ``end`` the user is still clocked in."""

    id: str
    start: TimePoint
    end: TimePoint | None = None


class ManualBreak(Payload):
    id: str
    start: TimePoint
    end: TimePoint | None = None


class UserTimeActivity(Payload):
    user_id: int = Field(alias="userId")
    shifts: list[Shift]
    manual_breaks: list[ManualBreak] = Field(alias="manualBreaks")


class Scheduler(Payload):
    scheduler_id: int = Field(alias="schedulerId")
    name: str
    is_archived: bool = Field(alias="isArchived")
    timezone: str


class ScheduledShift(Payload):
    """A shift planned in a scheduler; each assigned user works it (an open shift has none)."""

    id: str
    start_time: int = Field(alias="startTime")  # epoch seconds
    end_time: int = Field(alias="endTime")
    timezone: str
    title: str = ""
    assigned_user_ids: list[int] = Field(default_factory=list, alias="assignedUserIds")
    is_open_shift: bool = Field(default=False, alias="isOpenShift")
