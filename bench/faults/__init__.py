"""Fault injection: a TCP proxy that refuses, black-holes and freezes, the processes of the
production shape started as subprocesses (``prodhub serve`` on uvloop, a worker, a scheduler),
and a MariaDB of their own to restart. Used by ``tests/faults`` and ``python -m bench.faults``."""
