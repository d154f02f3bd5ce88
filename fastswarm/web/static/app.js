// fastswarm web UI: polls /stats and /stats/history, draws tables and SVG charts,
// and drives the run through POST /swarm, /stop and /reset (JSON bodies only).
"use strict";

const $ = (sel) => document.querySelector(sel);
const SVG_NS = "http://www.w3.org/2000/svg";
let formFilled = false;

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function fillRows(tbody, rows, toCells, rowClass) {
  tbody.replaceChildren(...rows.map((r, i) => {
    const tr = document.createElement("tr");
    if (rowClass) tr.className = rowClass(r, i);
    tr.append(...toCells(r));
    return tr;
  }));
}

const fmt = (n, d = 2) => (typeof n === "number" ? n.toFixed(d) : "");

function endpointCells(e) {
  const lat = e.latency_ms;
  return [
    cell(e.method, "l"), cell(e.name, "l"), cell(e.requests), cell(e.failures),
    cell(fmt(e.current_rps)), cell(fmt(e.failures_per_s)), cell(lat.p50), cell(lat.p95), cell(lat.p99),
    cell(e.current_p50), cell(e.current_p95), cell(e.current_p99), cell(lat.max), cell(fmt(e.bytes_avg, 0)),
  ];
}

function showMessage(text, ok) {
  const m = $("#message");
  m.textContent = text;
  m.className = ok ? "ok" : "";
}

async function call(path, body) {
  const res = await fetch(path, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {}),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function renderStats(s) {
  $("#state").textContent = s.state;
  $("#users").textContent = s.users;
  $("#workers").textContent = s.workers.filter((w) => w.alive).length;
  $("#rps").textContent = fmt(s.totals.current_rps, 1);
  const ratio = s.totals.requests ? (100 * s.totals.failures / s.totals.requests) : 0;
  $("#fail-ratio").textContent = ratio.toFixed(1) + "%";
  $("#time-left-box").hidden = s.run_time_left_s === null;
  if (s.run_time_left_s !== null) $("#time-left").textContent = Math.round(s.run_time_left_s) + " s";
  const rows = s.endpoints.concat(s.totals.requests || s.endpoints.length ? [s.totals] : []);
  fillRows($("#stats-table tbody"), rows, endpointCells, (r) => (r.name === "Aggregated" && r.method === "" ? "total" : ""));
  fillRows($("#failures-table tbody"), s.errors,
    (e) => [cell(e.method, "l"), cell(e.name, "l"), cell(e.error, "l"), cell(e.count)]);
  fillRows($("#user-errors-table tbody"), s.user_errors,
    (u) => [cell(u.kind, "l"), cell(u.message, "l"), cell(u.count)]);
  $("#failures-count").textContent = s.errors.length + s.user_errors.length ? `(${s.errors.length + s.user_errors.length})` : "";
  fillRows($("#workers-table tbody"), s.workers, (w) => [
    cell(w.index), cell(w.id, "l"), cell(w.host, "l"), cell(w.pid), cell(w.alive ? w.state : "missing", "l"),
    cell(w.users), cell(fmt(w.cpu_percent, 1)), cell(fmt(w.heartbeat_age_s, 1)),
  ]);
  if (!formFilled && s.defaults) {
    $("#f-users").value = s.defaults.users;
    $("#f-spawn-rate").value = s.defaults.spawn_rate;
    $("#f-host").value = s.host || s.defaults.host || "";
    formFilled = true;
  }
}

function el(name, attrs, text) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// One line chart: series = [[label, colour, values]], times in epoch seconds.
function drawChart(svg, times, series, unit) {
  const W = 720, H = 220, L = 56, T = 28, B = 24, plotW = W - L - 10, plotH = H - T - B;
  const top = Math.max(1e-9, ...series.flatMap(([, , v]) => v)) || 1;
  const t0 = times.length ? times[0] : 0;
  const span = times.length > 1 ? times[times.length - 1] - t0 : 1;
  const parts = [el("text", {x: L, y: 14, "font-size": 13, "font-weight": 600}, svg.dataset.title)];
  for (let i = 0; i <= 4; i++) {
    const y = T + plotH * i / 4;
    parts.push(el("line", {x1: L, y1: y, x2: W - 10, y2: y, stroke: "#e3e7ec"}));
    parts.push(el("text", {x: L - 4, y: y + 4, "font-size": 10, "text-anchor": "end"},
      (top * (4 - i) / 4).toPrecision(3) + (unit || "")));
  }
  parts.push(el("text", {x: L, y: H - 6, "font-size": 10}, "0 s"));
  parts.push(el("text", {x: W - 10, y: H - 6, "font-size": 10, "text-anchor": "end"}, Math.round(span) + " s"));
  let lx = L + 300;
  for (const [label, colour, values] of series) {
    const pts = values.map((v, i) =>
      `${(L + plotW * (times[i] - t0) / span).toFixed(1)},${(T + plotH * (1 - v / top)).toFixed(1)}`);
    parts.push(el("polyline", {class: "series", fill: "none", stroke: colour, "stroke-width": 1.8, points: pts.join(" ")}));
    parts.push(el("text", {x: lx, y: 14, "font-size": 12, fill: colour}, label));
    lx += 16 + 7 * label.length;
  }
  svg.replaceChildren(...parts);
  svg.dataset.points = String(times.length);
}

function renderHistory(h) {
  const p = h.points, t = p.map((x) => x.t);
  drawChart($("#chart-rps"), t, [["req/s", "#2f6fdf", p.map((x) => x.rps)],
    ["failures/s", "#d93b3b", p.map((x) => x.failures_per_s)]]);
  drawChart($("#chart-users"), t, [["users", "#2e9d5b", p.map((x) => x.users)]]);
  drawChart($("#chart-latency"), t, [["p50", "#2f6fdf", p.map((x) => x.p50)],
    ["p95", "#e08a1e", p.map((x) => x.p95)], ["p99", "#d93b3b", p.map((x) => x.p99)]], " ms");
}

async function poll() {
  try {
    const [s, h] = await Promise.all([fetch("/stats"), fetch("/stats/history")]);
    if (s.ok) renderStats(await s.json());
    if (h.ok) renderHistory(await h.json());
    if (s.status === 401) showMessage("unauthorized: open this page as /?token=TOKEN");
  } catch (err) {
    $("#state").textContent = "unreachable";
  }
}

$("#start-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = {users: Number($("#f-users").value), spawn_rate: Number($("#f-spawn-rate").value)};
  if ($("#f-host").value) body.host = $("#f-host").value;
  if ($("#f-run-time").value.trim()) body.run_time = $("#f-run-time").value.trim();
  try { await call("/swarm", body); showMessage("started", true); } catch (err) { showMessage(err.message); }
  poll();
});
$("#stop").addEventListener("click", async () => {
  try { await call("/stop"); showMessage("stopped", true); } catch (err) { showMessage(err.message); }
  poll();
});
$("#reset").addEventListener("click", async () => {
  try { await call("/reset"); showMessage("stats reset", true); } catch (err) { showMessage(err.message); }
  poll();
});
for (const b of document.querySelectorAll(".tabs button")) {
  b.addEventListener("click", () => {
    for (const o of document.querySelectorAll(".tabs button")) o.classList.toggle("active", o === b);
    for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== "tab-" + b.dataset.tab;
  });
}
poll();
setInterval(poll, 1000);
