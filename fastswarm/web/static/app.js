// fastswarm web UI: polls the status endpoint and fills the tabs. /stats every second;
// /stats/history, /stats/distribution and /logs only while their tab shows (and /logs
// incrementally). A timed poll is skipped while the last one runs, so a slow master (seconds
// per /stats with thousands of endpoints) is not piled on; a click refreshes at once.
"use strict";

import {$, $$, getJSON, num, ms} from "./util.js";
import {timeChart, distributionChart} from "./charts.js";
import {StatsTab, fillEndpointSelect} from "./stats.js";
import {renderFailures, renderExceptions, renderWorkers, workerHead, LogView} from "./panels.js";
import {Controls, setupTheme, showMessage} from "./controls.js";
import {ExtensionTabs} from "./extensions.js";

const COLORS = {blue: "#2f6fdf", red: "#d93b3b", orange: "#e08a1e", green: "#2e9d5b", purple: "#8a4fd0"};
const RATE_SAMPLES = 3600;

const stats = new StatsTab();
const logs = new LogView();
const controls = new Controls(() => tick(true));
const extensions = new ExtensionTabs(); // the tasks file's own tabs (environment.web_ui.add_tab)
let current = "stats";
let rateSamples = []; // open model: [epoch s, target rate] seen by this page (history has no rate)
let sawOpen = false;

function summary(s) {
  $("#state").textContent = s.state;
  $("#state").dataset.state = s.state;
  $("#users").textContent = num(s.users);
  const alive = Array.isArray(s.workers) ? s.workers.filter((w) => w.alive !== false).length : "–";
  $("#workers").textContent = alive;
  $("#rps").textContent = num(s.totals.current_rps, 1);
  const ratio = s.totals.requests ? (100 * s.totals.failures / s.totals.requests) : 0;
  $("#fail-ratio").textContent = ratio.toFixed(1) + "%";
  $("#host").textContent = s.host || "";
  $("#rate-box").hidden = s.target_rate === null;
  if (s.target_rate !== null) $("#rate").textContent = num(s.target_rate, 1) + "/s";
  $("#time-left-box").hidden = s.run_time_left_s === null;
  if (s.run_time_left_s !== null) $("#time-left").textContent = Math.round(s.run_time_left_s) + " s";
  const nErr = s.errors.length, nExc = s.user_errors.length;
  $("#failures-count").textContent = nErr ? String(nErr) : "";
  $("#exceptions-count").textContent = nExc ? String(nExc) : "";
}

function renderSnapshot(s) {
  summary(s);
  controls.update(s);
  stats.update(s);
  renderFailures(s.errors);
  renderExceptions(s.user_errors);
  renderWorkers(s.workers);
  fillEndpointSelect($("#dist-endpoint"), s.endpoints);
  if (s.target_rate !== null) {
    sawOpen = true;
    rateSamples.push([Date.now() / 1000, s.target_rate]);
    if (rateSamples.length > RATE_SAMPLES) rateSamples = rateSamples.slice(-RATE_SAMPLES);
  }
}

function renderHistory(h) {
  const p = h.points, ts = p.map((x) => x.t);
  const line = (label, color, key) => ({label, color, ts, ys: p.map((x) => x[key])});
  timeChart($("#chart-rps"), "Requests and failures per second",
    [line("req/s", COLORS.blue, "rps"), line("failures/s", COLORS.red, "failures_per_s")]);
  timeChart($("#chart-latency"), "Response time (ms): p50, p95, p99 per second",
    [line("p50", COLORS.blue, "p50"), line("p95", COLORS.orange, "p95"), line("p99", COLORS.red, "p99")], " ms");
  timeChart($("#chart-users"), "Users", [line("users", COLORS.green, "users")]);
  show($("#chart-rate"), sawOpen);
  if (sawOpen) {
    const t0 = ts.length ? ts[0] : 0;
    const samples = rateSamples.filter(([t]) => t >= t0);
    timeChart($("#chart-rate"), "Open model: target rate vs achieved req/s", [
      {label: "target iterations/s", color: COLORS.purple, ts: samples.map((x) => x[0]), ys: samples.map((x) => x[1])},
      line("req/s", COLORS.blue, "rps"),
    ]);
  }
}

function distributionQuery() {
  const v = $("#dist-endpoint").value;
  if (!v) return "";
  const [method, name] = JSON.parse(v);
  return "?" + new URLSearchParams({method, name}).toString();
}

function renderDistribution(d) {
  const corrected = d.corrected;
  const peak = Math.max(0, ...d.latency.ms, ...(corrected ? corrected.ms : []));
  const scale = peak > 0 ? niceScale(peak) : 1; // one y scale for both panels, so heights compare
  const what = d.name === null ? "all requests" : `${d.method} ${d.name}`;
  const plain = {label: "latency", color: COLORS.blue, ms: d.latency.ms};
  const corr = corrected ? {label: "corrected", color: COLORS.red, ms: corrected.ms} : null;
  const faint = (c) => ({...c, dash: "4 4", width: 1.2, color: "#9aa4b2"}); // the other panel's curve
  distributionChart($("#dist-latency"), `Latency by percentile: ${what}`, d.x,
    corr ? [faint(corr), plain] : [plain], d.latency.count, scale);
  show($("#dist-corrected"), Boolean(corr));
  $("#dist-panels").classList.toggle("two", Boolean(corr));
  if (corr) {
    distributionChart($("#dist-corrected"), `Corrected latency (from planned start): ${what}`, d.x,
      [faint(plain), corr], corrected.count, scale);
  }
  const pick = (side, p) => side.ms[d.percentiles.findIndex((x) => Math.abs(x - p) < 1e-6)];
  const ps = [50, 90, 99, 99.9, 99.99];
  const row = (label, side) => [label, num(side.count), ...ps.map((p) => ms(pick(side, p))), ms(side.max_ms)];
  const rows = [row("latency", d.latency)];
  if (corrected) rows.push(row("corrected", corrected));
  $("#dist-table tbody").replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    cells.forEach((c, i) => { const td = tr.insertCell(); td.textContent = c; if (i === 0) td.className = "l"; });
    return tr;
  }));
}

// SVG elements have no .hidden property: set the attribute (style.css hides [hidden]).
function show(el, on) {
  el.toggleAttribute("hidden", !on);
}

function niceScale(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

let busy = false;
async function tick(force) {
  if (busy && !force) return;
  busy = true;
  try {
    renderSnapshot(await getJSON("/stats"));
    if (current === "charts") renderHistory(await getJSON("/stats/history"));
    if (current === "distribution") await refreshDistribution();
    if (current === "logs") logs.add(await getJSON("/logs?after=" + logs.after));
    if (extensions.has(current)) await extensions.refresh(current);
  } catch (err) {
    if (err.status === 401) showMessage("unauthorized: open this page as /?token=TOKEN", false);
    else $("#state").textContent = "unreachable";
  } finally {
    busy = false;
  }
}

async function refreshDistribution() {
  try {
    renderDistribution(await getJSON("/stats/distribution" + distributionQuery()));
  } catch (err) {
    if (err.status === 404) $("#dist-endpoint").value = ""; // the endpoint went away (stats reset)
    else throw err;
  }
}

function showTab(name) {
  if (!$(`#tab-${name}`)) name = "stats";
  current = name;
  for (const b of $$(".tabs button")) {
    b.classList.toggle("active", b.dataset.tab === name);
    b.setAttribute("aria-selected", String(b.dataset.tab === name));
  }
  for (const t of $$(".tab")) t.hidden = t.id !== "tab-" + name;
  if (location.hash.slice(1) !== name) history.replaceState(null, "", "#" + name);
  if (name === "stats") stats.table.paint();
  tick(true);
}

for (const b of $$(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
const wantedTab = location.hash.slice(1); // an added tab's name is known once /extensions answers
$("#dist-endpoint").addEventListener("change", () => refreshDistribution());
$("#workers-table thead").replaceChildren(workerHead());
setupTheme();
showTab(wantedTab || "stats");
extensions.load(showTab).then(() => { if (extensions.has(wantedTab)) showTab(wantedTab); });
setInterval(() => tick(false), 1000);
