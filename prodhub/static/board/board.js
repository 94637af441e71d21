// The floor screen: one team's live leaderboard, from the leaderboardUpdated subscription over
// graphql-transport-ws at /graphql. Hand-written (the protocol is a handful of messages), no
// build step, nothing loaded from elsewhere.
//
// Set up through the address's fragment, which never leaves the browser:
//   /board#key=phk_...             the screen's DISPLAY key (its team's board, today's points)
//   &metric=POINTS|ITEMS|PRODUCTIVITY   what the board ranks by (default POINTS)
//   &rows=10                       how many rows to show (1 to 50)
//   &from=YYYY-MM-DD&to=YYYY-MM-DD a fixed period instead of today
// It reconnects by itself with a growing delay (1 s doubling to 30 s, jittered) whenever the
// connection ends: a server restart, a network cut, a connection that went silent.
"use strict";

(() => {
  const PROTOCOL = "graphql-transport-ws";
  const METRICS = { POINTS: "Points", ITEMS: "Items", PRODUCTIVITY: "Productivity" };
  const FIRST_RETRY_MS = 1000;
  const LAST_RETRY_MS = 30000;
  const REFUSED_RETRY_MS = 60000; // a key the server refused: ask again now and then, no faster
  const PING_MS = 15000; // the page pings; a connection that answers nothing in SILENT_MS is dead
  const SILENT_MS = 40000;
  const DAY_CHECK_MS = 30000; // a board of "today" moves on to the next day when the team's does

  const $ = (id) => document.getElementById(id);
  const settings = readSettings(new URLSearchParams(location.hash.slice(1)));
  const numbers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let operation = 0; // the id of the subscription that is current
  let heardAt = 0;
  let shown = null; // the page shown last
  let resubscribedAt = 0;

  function readSettings(params) {
    const metric = (params.get("metric") || "POINTS").toUpperCase();
    const rows = Number.parseInt(params.get("rows") || "10", 10);
    const day = (name) => {
      const value = params.get(name);
      return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null;
    };
    return {
      key: (params.get("key") || "").trim(),
      metric: metric in METRICS ? metric : "POINTS",
      rows: Number.isFinite(rows) ? Math.min(50, Math.max(1, rows)) : 10,
      from: day("from"),
      to: day("to"),
    };
  }

  const DOCUMENT = `subscription FloorBoard($metric: LeaderboardMetric!, $first: Int!, $from: Date, $to: Date) {
  leaderboardUpdated(metric: $metric, first: $first, from: $from, to: $to) {
    from to metric totalCount
    team { name timezone }
    edges { node { rank displayName itemsProcessed pointsEarned productivity } }
  }
}`;

  function setState(name, text) {
    const state = $("state");
    state.className = `state ${name}`;
    state.textContent = text || name;
    document.body.classList.toggle("stale", name !== "live");
  }

  function say(text) {
    const message = $("message");
    message.textContent = text || "";
    message.hidden = !text;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function connect() {
    retryTimer = null;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const opened = new WebSocket(`${scheme}//${location.host}/graphql`, PROTOCOL);
    socket = opened;
    heardAt = Date.now();
    opened.onopen = () => {
      send({ type: "connection_init", payload: { Authorization: `Bearer ${settings.key}` } });
    };
    opened.onmessage = (event) => {
      if (opened !== socket) return;
      heardAt = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      receive(message);
    };
    opened.onclose = (event) => {
      if (opened !== socket) return;
      socket = null;
      if (event.code === 4403) {
        refused("the screen's key is no longer valid: ask an admin for a DISPLAY key");
      } else {
        retry();
      }
    };
  }

  function receive(message) {
    switch (message.type) {
      case "connection_ack":
        subscribe();
        break;
      case "ping":
        send({ type: "pong" });
        break;
      case "next":
        if (message.id === String(operation)) next(message.payload || {});
        break;
      case "error":
        if (message.id === String(operation)) failed(message.payload);
        break;
      case "complete":
        if (message.id === String(operation)) restart();
        break;
      default:
        break;
    }
  }

  function subscribe() {
    operation += 1;
    const variables = {
      metric: settings.metric,
      first: settings.rows,
      from: settings.from,
      to: settings.to,
    };
    send({ id: String(operation), type: "subscribe", payload: { query: DOCUMENT, variables } });
  }

  function next(payload) {
    const board = payload.data && payload.data.leaderboardUpdated;
    if (!board) {
      failed(payload.errors);
      return;
    }
    attempt = 0;
    say("");
    setState("live");
    show(board);
  }

  function failed(errors) {
    const first = (Array.isArray(errors) && errors[0]) || {};
    const code = first.extensions && first.extensions.code;
    if (code === "UNAUTHENTICATED" || code === "FORBIDDEN") {
      refused(first.message || "the screen's key was refused");
    } else if (code === "BAD_USER_INPUT") {
      refused(`the address asks for a board there is not: ${first.message}`, "check the address");
    } else {
      restart(); // the server's trouble (too busy, a slow screen cut off): connect again
    }
  }

  function refused(why, label) {
    setState("refused", label || "signed out");
    say(`${why}. It is tried again every minute.`);
    abandon();
    schedule(REFUSED_RETRY_MS);
  }

  // Drop the connection (without waiting for a dead one to close) and connect again later.
  function restart() {
    abandon();
    retry();
  }

  function abandon() {
    const old = socket;
    socket = null;
    if (old) {
      old.onopen = old.onmessage = old.onclose = null;
      try {
        old.close();
      } catch {
        // closing a socket that never opened: nothing to do
      }
    }
  }

  function retry() {
    setState("reconnecting");
    const ceiling = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt);
    attempt += 1;
    schedule(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  function schedule(delay) {
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  function figureOf(node, metric) {
    if (metric === "ITEMS") return numbers.format(node.itemsProcessed);
    if (metric === "PRODUCTIVITY") {
      return node.productivity === null ? "–" : `${numbers.format(node.productivity)} %`;
    }
    return numbers.format(node.pointsEarned);
  }

  function cell(text, name) {
    const td = document.createElement("td");
    td.className = name;
    td.textContent = text;
    return td;
  }

  function show(board) {
    shown = board;
    const team = board.team ? board.team.name : "All teams";
    $("team").textContent = team;
    document.title = `${team} · leaderboard`;
    $("period").textContent = board.from === board.to ? board.to : `${board.from} – ${board.to}`;
    $("figure").textContent = METRICS[board.metric] || board.metric;
    $("updated").textContent = `updated ${clock.format(new Date())}`;
    const rows = board.edges.map(({ node }) => {
      const tr = document.createElement("tr");
      if (node.rank === 1) tr.className = "top";
      tr.append(
        cell(String(node.rank), "rank"),
        cell(node.displayName, "name"),
        cell(figureOf(node, board.metric), "figure"),
      );
      return tr;
    });
    $("rows").replaceChildren(...rows);
    if (rows.length === 0) say("");
  }

  // The team's date now, as the server reckons "today" for its board.
  function teamToday(timezone) {
    try {
      return new Intl.DateTimeFormat("en-CA", {
        timeZone: timezone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
      }).format(new Date());
    } catch {
      return null;
    }
  }

  function watch() {
    if (!socket) return;
    if (Date.now() - heardAt > SILENT_MS) {
      restart(); // silent: the server or the network is gone without a close
      return;
    }
    send({ type: "ping" });
  }

  function nextDay() {
    if (!socket || !shown || settings.from || settings.to || !shown.team) return;
    const today = teamToday(shown.team.timezone);
    if (today && today > shown.to && Date.now() - resubscribedAt > 60000) {
      resubscribedAt = Date.now();
      send({ id: String(operation), type: "complete" });
      subscribe();
    }
  }

  if (!settings.key) {
    setState("refused", "no key");
    say("Open this page as /board#key=<the screen's DISPLAY key> (an admin creates one).");
    return;
  }
  $("figure").textContent = METRICS[settings.metric];
  setInterval(watch, PING_MS);
  setInterval(nextDay, DAY_CHECK_MS);
  connect();
})();
