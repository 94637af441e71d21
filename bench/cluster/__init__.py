"""The production topology on one machine, on loopback: nginx in front of two web processes,
two workers, two schedulers, a MariaDB primary with a replica, and Redis (``scripts/cluster``)."""
