"""A real browser for the floor screen's tests: Debian's ``chromium``, headless, on a profile
of its own, driven over its DevTools protocol with plain ``websockets`` (a command is a JSON
message with an id, its answer carries the same id; events come in between).

``chromium_path`` is None where it is not installed; the tests skip then, with the reason
(``scripts/services.sh`` installs it, so CI has it)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--lang=en-US", "--window-size=1280,800", "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)  # fmt: skip
START_SECONDS = 30.0
WAIT_SECONDS = 20.0

# What the page shows, as the tests read it.
READ_PAGE = """JSON.stringify({
  state: document.getElementById("state").textContent,
  team: document.getElementById("team").textContent,
  period: document.getElementById("period").textContent,
  figure: document.getElementById("figure").textContent,
  message: document.getElementById("message").textContent,
  rows: [...document.querySelectorAll("#rows tr")].map(
    (tr) => [...tr.children].map((td) => td.textContent)),
  sameDocument: window.__sameDocument === true,
})"""


def chromium_path() -> str | None:
    return shutil.which("chromium")


class Tab:
    """One page target, attached with a session of its own."""

    def __init__(self, browser: Browser, session_id: str) -> None:
        self.browser = browser
        self.session_id = session_id

    async def evaluate(self, expression: str) -> Any:
        answer = await self.browser.command(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True},
            session_id=self.session_id,
        )
        if "exceptionDetails" in answer:
            raise AssertionError(answer["exceptionDetails"])
        return answer["result"].get("value")

    async def page(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(await self.evaluate(READ_PAGE))
        return found

    async def until(
        self, check: Callable[[dict[str, Any]], bool], seconds: float = WAIT_SECONDS
    ) -> dict[str, Any]:
        """The page once ``check`` holds of it (asked every 0.1 s); its last state fails."""
        page: dict[str, Any] = {}
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            try:
                page = await self.page()
            except AssertionError:  # not loaded yet
                page = {}
            if page and check(page):
                return page
            await asyncio.sleep(0.1)
        raise AssertionError(f"the page did not get there in {seconds} s: {page}")


class Browser:
    """A headless chromium and its DevTools connection; ``problems`` gathers what the pages
    reported: exceptions, and console or security messages (a policy's refusal among them)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.problems: list[str] = []
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.reader = asyncio.create_task(self._read())

    async def command(
        self, method: str, params: dict[str, Any] | None = None, *, session_id: str | None = None
    ) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        answer = self._waiting[message_id] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps(message))
        async with asyncio.timeout(WAIT_SECONDS):
            result: dict[str, Any] = await answer
            return result

    @asynccontextmanager
    async def tab(self, url: str) -> AsyncIterator[Tab]:
        """A new tab on ``url``, closed after the block."""
        target = (await self.command("Target.createTarget", {"url": "about:blank"}))["targetId"]
        attached = await self.command(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )
        tab = Tab(self, attached["sessionId"])
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            await self.command(domain, session_id=tab.session_id)
        await self.command("Page.navigate", {"url": url}, session_id=tab.session_id)
        try:
            yield tab
        finally:
            await self.command("Target.closeTarget", {"targetId": target})

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message:
                waiting = self._waiting.pop(message["id"], None)
                if waiting is not None and not waiting.done():
                    if "error" in message:
                        waiting.set_exception(AssertionError(message["error"]))
                    else:
                        waiting.set_result(message.get("result", {}))
            elif message.get("method") == "Runtime.exceptionThrown":
                self.problems.append(str(message["params"]["exceptionDetails"]))
            elif message.get("method") == "Log.entryAdded":
                entry = message["params"]["entry"]
                if entry.get("level") in ("error", "warning"):
                    self.problems.append(f"{entry.get('source')}: {entry.get('text')}")


async def _devtools_port(profile: Path, process: asyncio.subprocess.Process) -> int:
    """The port chromium chose, from the file it writes in its profile."""
    active = profile / "DevToolsActivePort"
    for _ in range(int(START_SECONDS * 10)):
        if process.returncode is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        if active.exists() and active.read_text().strip():
            return int(active.read_text().splitlines()[0])
        await asyncio.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    """A headless chromium on a new, empty profile, until the block ends."""
    path = chromium_path()
    assert path is not None
    # chromium's helper processes may still write to the profile for a moment after it exits:
    # a file they add then must not fail the test that ran (what is left is in the temp dir).
    with tempfile.TemporaryDirectory(
        prefix="prodhub-chromium-", ignore_cleanup_errors=True
    ) as directory:
        profile = Path(directory)
        process = await asyncio.create_subprocess_exec(
            path, *FLAGS, f"--user-data-dir={profile}", "about:blank",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            port = await _devtools_port(profile, process)
            async with httpx.AsyncClient(timeout=5) as http:
                version = (await http.get(f"http://127.0.0.1:{port}/json/version")).json()
            async with websockets.connect(version["webSocketDebuggerUrl"], max_size=None) as ws:
                driven = Browser(ws)
                try:
                    yield driven
                finally:
                    driven.reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await driven.reader
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    async with asyncio.timeout(10):
                        await process.wait()
                except TimeoutError:
                    process.kill()
                    await process.wait()
