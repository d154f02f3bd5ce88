// The Statistics tab: which columns the table has (corrected latency joins them in an
// open-model run) and how /stats' endpoint rows fill it.
"use strict";

import {$, ms, num} from "./util.js";
import {VirtualTable} from "./vtable.js";

const lat = (k) => (e) => (e.latency_ms ? e.latency_ms[k] : undefined);
const cor = (k) => (e) => (e.corrected_latency_ms ? e.corrected_latency_ms[k] : undefined);
const N = 62; // px, a number column

const BASE = [
  {key: "method", label: "Method", get: (e) => e.method, width: 70},
  {key: "name", label: "Name", get: (e) => e.name},
  {key: "requests", label: "Requests", get: (e) => e.requests, fmt: (v) => num(v), num: true, width: 84},
  {key: "failures", label: "Fails", get: (e) => e.failures, fmt: (v) => num(v), num: true, width: 60},
  {key: "p50", label: "p50", title: "median latency, ms", get: lat("p50"), fmt: ms, num: true, width: N},
  {key: "p90", label: "p90", title: "90th percentile latency, ms", get: lat("p90"), fmt: ms, num: true, width: N},
  {key: "p95", label: "p95", title: "95th percentile latency, ms", get: lat("p95"), fmt: ms, num: true, width: N},
  {key: "p99", label: "p99", title: "99th percentile latency, ms", get: lat("p99"), fmt: ms, num: true, width: N},
  {key: "p99.9", label: "p99.9", title: "99.9th percentile latency, ms", get: lat("p99.9"), fmt: ms, num: true, width: N},
  {key: "max", label: "Max", title: "slowest request, ms", get: lat("max"), fmt: ms, num: true, width: N},
  {key: "mean", label: "Avg", title: "mean latency, ms", get: lat("mean"), fmt: ms, num: true, width: N},
  {key: "bytes", label: "Avg size", title: "mean response size, bytes", get: (e) => e.bytes_avg,
    fmt: (v) => num(v), num: true, width: 76},
  {key: "rps", label: "RPS", title: "requests/s over the last seconds (the sliding window)",
    get: (e) => e.current_rps, fmt: (v) => num(v, 1), num: true, width: 66},
  {key: "fps", label: "Fails/s", title: "failures/s over the whole run", get: (e) => e.failures_per_s,
    fmt: (v) => num(v, 2), num: true, width: 66},
];
// An open-model run adds corrected latency; p90 and size make room for it on one screen.
const OPEN_BASE = BASE.filter((c) => c.key !== "p90" && c.key !== "bytes");
const CORRECTED = [
  {key: "c-p50", label: "c p50", title: "corrected latency (from each iteration's planned start): median, ms",
    get: cor("p50"), fmt: ms, num: true, width: 68, cls: "corr"},
  {key: "c-p99", label: "c p99", title: "corrected latency: 99th percentile, ms",
    get: cor("p99"), fmt: ms, num: true, width: 68, cls: "corr"},
  {key: "c-p99.9", label: "c p99.9", title: "corrected latency: 99.9th percentile, ms",
    get: cor("p99.9"), fmt: ms, num: true, width: 68, cls: "corr"},
  {key: "c-max", label: "c max", title: "corrected latency: max, ms",
    get: cor("max"), fmt: ms, num: true, width: 68, cls: "corr"},
];

export const endpointKey = (e) => `${e.method} ${e.name}`;

export class StatsTab {
  constructor() {
    this.table = new VirtualTable({
      root: $("#stats"),
      columns: BASE,
      rowKey: endpointKey,
      onView: (shown, total) => {
        $("#stats-shown").textContent = shown === total ? `${num(total)} endpoints` : `${num(shown)} of ${num(total)} endpoints`;
      },
    });
    $("#stats-filter").addEventListener("input", (ev) => this.table.setFilter(ev.target.value));
  }

  update(s) {
    const open = s.target_rate !== null || s.endpoints.some((e) => e.corrected_latency_ms);
    this.table.setColumns(open ? OPEN_BASE.concat(CORRECTED) : BASE);
    $("#corrected-note").hidden = !open;
    const total = s.totals.requests || s.endpoints.length ? s.totals : null;
    this.table.setRows(s.endpoints, total);
  }
}

// The endpoint picker of the Latency distribution tab, rebuilt only when the set changes.
export function fillEndpointSelect(select, endpoints) {
  const sig = endpoints.length + "|" + endpoints.map(endpointKey).join("\n");
  if (select._sig === sig) return;
  select._sig = sig;
  const chosen = select.value;
  const options = [new Option("All requests", "")];
  for (const e of endpoints) options.push(new Option(`${e.method} ${e.name}`, JSON.stringify([e.method, e.name])));
  select.replaceChildren(...options);
  select.value = options.some((o) => o.value === chosen) ? chosen : "";
}
