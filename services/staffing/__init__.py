"""Staffing: a team's scheduled shifts (synced from Connecteam) and its staffing plan."""
