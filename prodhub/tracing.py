"""OpenTelemetry traces, when ``PRODHUB_OTEL_ENABLED`` is set: a server span per HTTP request
(Starlette's instrumentation), a span per SQL statement on each engine (SQLAlchemy's) and per
Redis command (Redis'), exported over OTLP/HTTP in batches to
``OTEL_EXPORTER_OTLP_ENDPOINT`` (the SDK's standard variables: ``OTEL_SERVICE_NAME``,
``OTEL_TRACES_SAMPLER``, headers, ...).

Only imported when enabled: with tracing off, nothing of OpenTelemetry is loaded and a
request costs what it did.
"""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.starlette import StarletteInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from starlette.applications import Starlette

from db.engine import Database
from prodhub.resources import Resources

SERVICE = "prodhub"
_provider: TracerProvider | None = None


def provider(processor: SpanProcessor | None = None) -> TracerProvider:
    """This process's tracer provider, made once: spans go to ``processor`` (tests: an
    in-memory exporter's), else in batches to the OTLP/HTTP exporter."""
    global _provider
    if _provider is None:
        name = os.environ.get("OTEL_SERVICE_NAME", SERVICE)
        _provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
        if processor is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            processor = BatchSpanProcessor(OTLPSpanExporter())
        _provider.add_span_processor(processor)
        trace.set_tracer_provider(_provider)
        RedisInstrumentor().instrument(tracer_provider=_provider)
    return _provider


def trace_app(app: Starlette, resources: Resources, tracer: TracerProvider | None = None) -> None:
    """Spans for the app's requests and for its database's statements."""
    chosen = tracer or provider()
    StarletteInstrumentor.instrument_app(app, tracer_provider=chosen)
    trace_database(resources.db, chosen)


def trace_database(db: Database, tracer: TracerProvider | None = None) -> None:
    """Spans for every statement of both engines (made now: making one connects nothing).
    The instrumentation is one per process, as the database is: a second call does nothing."""
    instrumentor = SQLAlchemyInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        return
    engines = [db.engine.sync_engine, db.read_engine.sync_engine]
    # The instrumentation declares SQLAlchemy < 2.1 and would do nothing on 2.1, whose engine
    # events it uses are unchanged (tests/logs/test_tracing.py sees the spans).
    instrumentor.instrument(
        engines=engines, tracer_provider=tracer or provider(), skip_dep_check=True
    )
