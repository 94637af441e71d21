"""A rolling restart of the web processes behind nginx, one at a time, losing no request.

For each process: mark it ``down`` in nginx's upstream and reload nginx, which returns once
the workers of the old configuration have answered what they had taken and exited (nothing
is in flight to the process any more, and no worker will send it anything); stop it with
SIGTERM (uvicorn's graceful shutdown: it stops accepting and finishes what is in flight);
start a new one on the same port; wait for its ``/readyz``; put it back and reload.

Stopping a process without taking it out first would rely on nginx trying the next server:
it does for a connection refused, but never for a POST already sent (GraphQL's mutations
and queries alike are POSTs, and nginx treats POSTs as not idempotent), and a request sent
on a kept-alive connection the stopping process closes is such a POST. Allowing it
(``proxy_next_upstream ... non_idempotent``) could run a mutation twice."""

from __future__ import annotations

from collections.abc import Callable

from bench.cluster import pids
from bench.cluster.nginx import Nginx
from bench.cluster.topology import Member, State, wait_ready
from bench.faults.processes import serve


def nginx_of(state: State) -> Nginx:
    ports = [m.port for m in state.named("web:")]
    return Nginx(state.directory / "nginx", state.nginx.port, ports, state.nginx.pid)


def restart_webs(state: State, *, log: Callable[[str], None] = print) -> None:
    nginx = nginx_of(state)
    for web in state.named("web:"):
        log(f"==> {web.name}: out of nginx's upstream")
        nginx.set_upstream({web.port})
        nginx.reload()
        log(f"==> {web.name}: stopping (pid {web.pid}) and starting again")
        pids.stop(web.pid, web.marker, seconds=60)
        replace(state, web)
        wait_ready(f"http://127.0.0.1:{web.port}", pid=web.pid)
        log(f"==> {web.name}: ready (pid {web.pid}), back in the upstream")
        nginx.set_upstream(set())
        nginx.reload()


def replace(state: State, web: Member) -> None:
    """A new ``prodhub serve`` on ``web``'s port, recorded in the state."""
    new = serve(state.env, state.directory / "logs", port=web.port)
    web.pid = pids.keep(new.process.popen)
    state.save()
