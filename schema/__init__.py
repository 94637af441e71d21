"""Strawberry types, inputs and payloads; ``schema.build`` assembles the executable schema."""
