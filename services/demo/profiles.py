"""Demo dataset sizes and the reference data they draw from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    employees: int
    teams: int
    roles: int
    days: int


PROFILES = {
    "S": Profile("S", employees=50, teams=5, roles=6, days=14),
    "M": Profile("M", employees=500, teams=10, roles=8, days=30),
    "L": Profile("L", employees=2000, teams=20, roles=8, days=30),
}

# key, name, points per item, expected items per hour
ROLES = [
    ("picking", "Picking", 1.0, 120.0),
    ("packing", "Packing", 1.5, 80.0),
    ("receiving", "Receiving", 2.0, 60.0),
    ("putaway", "Put-away", 1.2, 90.0),
    ("shipping", "Shipping", 1.8, 70.0),
    ("returns", "Returns", 2.5, 40.0),
    ("replenishment", "Replenishment", 1.4, 75.0),
    ("cycle-count", "Cycle counting", 0.8, 150.0),
]

TEAM_NAMES = [
    "Inbound", "Outbound", "Returns", "Pick Zone A", "Pick Zone B", "Pack Line",
    "Shipping Dock", "Cold Storage", "Bulk", "Mezzanine", "Kitting", "Quality",
    "Cross-dock", "Replenishment", "Night Crew", "Small Parts", "Oversize", "E-commerce",
    "Wholesale", "Yard",
]  # fmt: skip

FIRST_NAMES = [
    "Ana", "Ben", "Carla", "Dev", "Elena", "Femi", "Grace", "Hugo", "Ines", "Jamal", "Kai",
    "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma",
    "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Luis", "Maria", "Jose", "Chen",
]  # fmt: skip

LAST_NAMES = [
    "Garcia", "Smith", "Nguyen", "Okafor", "Kowalski", "Haddad", "Rossi", "Tanaka",
    "Martinez", "Johnson", "Silva", "Patel", "Müller", "Dubois", "Ivanova", "Hernandez",
    "Brown", "Kim", "Lopez", "Wilson", "Santos", "Ali", "Novak", "Jensen", "Moreno",
]  # fmt: skip

# Most sites run on company time; a few are elsewhere, so timezone handling is exercised.
OTHER_TIMEZONES = ["America/New_York", "America/Los_Angeles"]
