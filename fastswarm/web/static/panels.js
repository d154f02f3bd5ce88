// The Failures, Exceptions, Workers and Logs tabs: plain tables and lists filled from
// /stats and /logs. Each renderer skips the DOM work when its input has not changed.
"use strict";

import {$, h, num, ago, clock} from "./util.js";

function same(el, data) {
  const sig = JSON.stringify(data);
  if (el._sig === sig) return true;
  el._sig = sig;
  return false;
}

function emptyRow(cols, text) {
  return h("tr", {class: "empty"}, h("td", {colspan: cols, class: "l"}, text));
}

export function renderFailures(errors) {
  const tbody = $("#failures-table tbody");
  if (same(tbody, errors)) return;
  const rows = errors.map((e) => h("tr", {}, [
    h("td", {}, num(e.count)), h("td", {class: "l"}, e.method), h("td", {class: "l", title: e.name}, e.name),
    h("td", {class: "l wrap"}, e.error),
  ]));
  tbody.replaceChildren(...(rows.length ? rows : [emptyRow(4, "No failed requests.")]));
}

export function renderExceptions(userErrors) {
  const tbody = $("#exceptions-table tbody");
  if (same(tbody, userErrors)) return;
  const rows = userErrors.map((u) => h("tr", {}, [
    h("td", {}, num(u.count)), h("td", {class: "l"}, u.kind), h("td", {class: "l wrap"}, u.message),
    h("td", {class: "l"}, u.traceback
      ? h("details", {}, [h("summary", {}, "traceback"), h("pre", {class: "traceback"}, u.traceback)])
      : ""),
  ]));
  tbody.replaceChildren(...(rows.length ? rows : [emptyRow(4, "No exceptions in task code.")]));
}

// Workers: whatever /stats gives. Fields a master does not report yet (loop lag, say) show "–".
const WORKER_COLUMNS = [
  ["#", (w) => w.index, true],
  ["Host", (w) => w.host, false],
  ["PID", (w) => w.pid, true],
  ["State", (w) => (w.alive === false ? "missing" : w.state), false],
  ["Users", (w) => num(w.users), true],
  ["CPU %", (w) => (typeof w.cpu_percent === "number" ? w.cpu_percent.toFixed(1) : undefined), true],
  ["Loop lag ms", (w) => (typeof w.loop_lag_ms === "number" ? w.loop_lag_ms.toFixed(1) : undefined), true],
  ["Last heartbeat", (w) => (typeof w.heartbeat_age_s === "number" ? ago(w.heartbeat_age_s) + " ago" : undefined), true],
  ["Id", (w) => w.id, false],
];

export function renderWorkers(workers) {
  const tbody = $("#workers-table tbody");
  const list = Array.isArray(workers) ? workers : null;
  if (same(tbody, list)) return;
  if (!list) {
    $("#workers-summary").textContent = "This master does not report its workers.";
    tbody.replaceChildren(emptyRow(WORKER_COLUMNS.length, "No worker list in /stats."));
    return;
  }
  const alive = list.filter((w) => w.alive !== false);
  const users = alive.reduce((s, w) => s + (w.users || 0), 0);
  const cpus = alive.map((w) => w.cpu_percent).filter((v) => typeof v === "number");
  const peak = cpus.length ? ` · busiest CPU ${Math.max(...cpus).toFixed(1)} %` : "";
  $("#workers-summary").textContent =
    `${alive.length} of ${list.length} workers alive · ${num(users)} users${peak}`;
  tbody.replaceChildren(...list.map((w) => {
    const hot = (w.cpu_percent ?? 0) > 90 || (w.loop_lag_ms ?? 0) > 50;
    return h("tr", {class: (w.alive === false ? "lost " : "") + (hot ? "hot" : "")},
      WORKER_COLUMNS.map(([, get, isNum]) => {
        const v = get(w);
        return h("td", {class: isNum ? "" : "l"}, v === undefined || v === null ? "–" : v);
      }));
  }));
  if (!list.length) tbody.replaceChildren(emptyRow(WORKER_COLUMNS.length, "No worker connected yet."));
}

export function workerHead() {
  return h("tr", {}, WORKER_COLUMNS.map(([label, , isNum]) => h("th", {class: isNum ? "" : "l"}, label)));
}

// Logs: appended incrementally; at most `limit` lines are kept, as on the master.
const LEVELS = {DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50};

export class LogView {
  constructor() {
    this.after = 0;
    this.lines = [];
    this.limit = 500;
    this.list = $("#logs-list");
    $("#logs-level").addEventListener("change", () => this.paint(true));
    this.paint(true);
  }

  add(data) {
    this.limit = data.limit || this.limit;
    if (data.last_seq < this.after) { this.lines = []; } // the master restarted
    this.after = data.last_seq;
    if (data.dropped) this.lines.push({seq: 0, time: Date.now() / 1000, level: "INFO", logger: "ui",
      message: `(${data.dropped} older lines fell off the master's buffer)`});
    if (!data.lines.length && !data.dropped) return;
    this.lines.push(...data.lines);
    if (this.lines.length > this.limit) this.lines = this.lines.slice(-this.limit);
    this.paint(false);
  }

  paint(all) {
    const min = LEVELS[$("#logs-level").value] || 0;
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
    const rows = this.lines.filter((l) => (LEVELS[l.level] || 0) >= min).map((l) => h("div", {
      class: "log-line lvl-" + l.level.toLowerCase(),
    }, [h("span", {class: "log-time"}, clock(l.time)), h("span", {class: "log-level"}, l.level),
      h("span", {class: "log-logger"}, l.logger), h("span", {class: "log-msg"}, l.message)]));
    this.list.replaceChildren(...(rows.length ? rows : [h("div", {class: "empty"}, "No log lines yet.")]));
    const n = this.lines.length;
    $("#logs-count").textContent = `${n} line${n === 1 ? "" : "s"} (the master keeps the last ${this.limit})`;
    if (atBottom || all) this.list.scrollTop = this.list.scrollHeight;
  }
}
