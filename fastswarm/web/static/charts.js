// Line charts as inline SVG: time series (Charts tab) and HDR percentile curves (Latency
// distribution tab), each with a hover readout. Colours of axes and text come from CSS
// (classes), so the dark theme needs no redraw; series colours are fixed.
"use strict";

import {svg, clock, compact, niceTop} from "./util.js";

const W = 720, H = 230, L = 58, R = 14, T = 32, B = 28;
const PW = W - L - R, PH = H - T - B;

// spec: {title, series: [{label, color, xs, ys, dash}], xMin, xMax, yTop, unit,
//        xTicks: [[x, label]], fmtX(x), shade: {from, label}}
function draw(el, spec) {
  const {xMin, xMax} = spec;
  const span = xMax > xMin ? xMax - xMin : 1;
  // four gridlines at round values: the top is four times a "nice" step
  const top = spec.yTop || 4 * niceTop(Math.max(0, ...spec.series.flatMap((s) => s.ys.filter(isFinite))) / 4);
  const px = (x) => L + PW * (x - xMin) / span;
  const py = (y) => T + PH * (1 - Math.min(y, top) / top);
  const parts = [svg("text", {x: L, y: 16, class: "title"}, spec.title)];
  if (spec.shade && spec.shade.from < xMax) {
    const x0 = px(Math.max(xMin, spec.shade.from));
    parts.push(svg("rect", {x: x0, y: T, width: L + PW - x0, height: PH, class: "shade"}));
    parts.push(svg("text", {x: L + PW - 4, y: T + 12, class: "axis shade-label", "text-anchor": "end"}, spec.shade.label));
  }
  for (let i = 0; i <= 4; i++) {
    const y = T + PH * i / 4;
    parts.push(svg("line", {x1: L, y1: y, x2: L + PW, y2: y, class: "grid"}));
    parts.push(svg("text", {x: L - 5, y: y + 4, class: "axis", "text-anchor": "end"},
      compact(top * (4 - i) / 4) + (spec.unit || "")));
  }
  spec.xTicks.forEach(([x, label], i) => {
    const anchor = i === 0 ? "start" : i === spec.xTicks.length - 1 ? "end" : "middle";
    parts.push(svg("line", {x1: px(x), y1: T, x2: px(x), y2: T + PH, class: "grid v"}));
    parts.push(svg("text", {x: px(x), y: H - 9, class: "axis", "text-anchor": anchor}, label));
  });
  const legend = spec.series.map((s) => {
    const t = svg("text", {x: 0, y: 16, class: "legend"}, s.label);
    t.style.fill = s.color; // CSSOM: beats the stylesheet's text colour, and is CSP-safe
    const swatch = svg("line", {x1: 0, y1: 12, x2: 14, y2: 12, stroke: s.color, "stroke-width": 2.5});
    if (s.dash) swatch.setAttribute("stroke-dasharray", "3 2");
    const g = svg("g", {class: "legend-item"});
    g.append(swatch, t);
    return g;
  });
  parts.push(...legend);
  for (const s of spec.series) {
    const pts = [];
    s.xs.forEach((x, i) => { if (isFinite(s.ys[i])) pts.push(`${px(x).toFixed(1)},${py(s.ys[i]).toFixed(1)}`); });
    const attrs = {class: "series", fill: "none", stroke: s.color, "stroke-width": s.width || 1.8, points: pts.join(" ")};
    if (s.dash) attrs["stroke-dasharray"] = s.dash;
    parts.push(svg("polyline", attrs));
  }
  el.replaceChildren(...parts);
  placeLegend(legend);
  el.dataset.points = String(spec.series.length ? spec.series[0].xs.length : 0);
  el._chart = {spec, px, py};
  hover(el);
}

// Right-aligned legend items, laid out once the text can be measured (0 while hidden).
function placeLegend(items) {
  let right = L + PW;
  for (const g of items.slice().reverse()) {
    const text = g.lastChild;
    const width = text.getComputedTextLength() || 7 * text.textContent.length;
    const x = right - width - 18;
    g.firstChild.setAttribute("x1", x);
    g.firstChild.setAttribute("x2", x + 14);
    text.setAttribute("x", x + 18);
    right = x - 14;
  }
}

function hover(el) {
  if (!el._hooked) {
    el._hooked = true;
    el.addEventListener("mousemove", (ev) => {
      const pt = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(el.getScreenCTM().inverse());
      el._mouse = pt.x;
      hover(el);
    });
    el.addEventListener("mouseleave", () => { el._mouse = null; hover(el); });
  }
  const old = el.querySelector(".hover");
  if (old) old.remove();
  const c = el._chart;
  if (!c || el._mouse == null || el._mouse < L || el._mouse > L + PW) return;
  const {spec, px, py} = c;
  const x = spec.xMin + (el._mouse - L) / PW * ((spec.xMax - spec.xMin) || 1);
  const lines = [spec.fmtX(x)];
  const g = svg("g", {class: "hover"});
  g.append(svg("line", {x1: el._mouse, y1: T, x2: el._mouse, y2: T + PH, class: "cursor"}));
  for (const s of spec.series) {
    if (!s.xs.length) continue;
    let best = 0;
    s.xs.forEach((v, i) => { if (Math.abs(v - x) < Math.abs(s.xs[best] - x)) best = i; });
    const y = s.ys[best];
    if (!isFinite(y)) continue;
    g.append(svg("circle", {cx: px(s.xs[best]), cy: py(y), r: 3, fill: s.color}));
    lines.push(`${s.label}: ${compact(y)}${spec.unit || ""}`);
  }
  const boxW = 12 + 6.6 * Math.max(...lines.map((l) => l.length));
  const bx = el._mouse + boxW + 12 > W ? el._mouse - boxW - 8 : el._mouse + 8;
  g.append(svg("rect", {x: bx, y: T + 4, width: boxW, height: 8 + 15 * lines.length, rx: 4, class: "tip"}));
  lines.forEach((l, i) => g.append(svg("text", {x: bx + 6, y: T + 19 + 15 * i, class: "tip-text"}, l)));
  el.append(g);
}

// A time chart: series = [{label, color, ts: [epoch s], ys}]; the x range covers them all.
export function timeChart(el, title, series, unit) {
  const all = series.flatMap((s) => s.ts);
  const xMin = all.length ? Math.min(...all) : 0, xMax = all.length ? Math.max(...all) : 1;
  const ticks = [];
  for (let i = 0; i <= 4; i++) {
    const x = xMin + (xMax - xMin) * i / 4;
    const label = all.length ? clock(x) : "";
    ticks.push([x, ticks.length && ticks[ticks.length - 1][1] === label ? "" : label]);
  }
  draw(el, {
    title, unit, xMin, xMax, xTicks: ticks, fmtX: clock,
    series: series.map((s) => ({...s, xs: s.ts})),
  });
}

export const DIST_TICKS = [[0, "0%"], [1, "90%"], [2, "99%"], [3, "99.9%"], [4, "99.99%"], [5, "99.999%"]];

function pLabel(x) {
  const p = 100 * (1 - Math.pow(10, -x));
  return "p" + (x < 1 ? p.toFixed(1) : p.toFixed(Math.min(4, Math.ceil(x) - 1))) ;
}

// An HDR percentile plot: x = log10(1/(1-p)) from p0 to p99.999; curves = [{label, color, ms, dash}].
// Where fewer than 10 samples lie beyond a percentile the plot is shaded: that tail is a
// handful of requests, not a distribution.
export function distributionChart(el, title, xs, curves, count, yTop) {
  const few = count > 0 ? Math.log10(count / 10) : 0;
  draw(el, {
    title, unit: " ms", xMin: 0, xMax: 5, yTop, xTicks: DIST_TICKS, fmtX: pLabel,
    shade: {from: Math.max(0, few), label: "< 10 samples beyond"},
    series: curves.map((c) => ({label: c.label, color: c.color, dash: c.dash, width: c.width, xs, ys: c.ms})),
  });
}
