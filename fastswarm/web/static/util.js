// Small helpers shared by the UI's modules: DOM building, number formats, the JSON API.
"use strict";

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
export const SVG_NS = "http://www.w3.org/2000/svg";

// h("td", {class: "l", title: "x"}, "text" | Node | [children])
export function h(tag, attrs, children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  append(e, children);
  return e;
}

export function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function append(e, children) {
  if (children === undefined || children === null) return;
  if (Array.isArray(children)) children.forEach((c) => append(e, c));
  else e.append(children instanceof Node ? children : String(children));
}

// Latency in ms with about three significant digits; "" when absent.
export function ms(v) {
  if (typeof v !== "number" || !isFinite(v)) return "";
  if (v === 0) return "0";
  if (v < 10) return v.toFixed(2);
  if (v < 100) return v.toFixed(1);
  return Math.round(v).toLocaleString("en-US");
}

export function num(v, digits = 0) {
  if (typeof v !== "number" || !isFinite(v)) return "";
  return v.toLocaleString("en-US", {minimumFractionDigits: digits, maximumFractionDigits: digits});
}

export function clock(epochS) {
  const d = new Date(epochS * 1000);
  return d.toTimeString().slice(0, 8);
}

export function ago(seconds) {
  if (typeof seconds !== "number") return "";
  if (seconds < 60) return seconds.toFixed(1) + " s";
  return Math.floor(seconds / 60) + " min " + Math.round(seconds % 60) + " s";
}

// "1.23k" style for axis labels.
export function compact(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toPrecision(3).replace(/\.?0+$/, "") + "M";
  if (a >= 1e3) return (v / 1e3).toPrecision(3).replace(/\.?0+$/, "") + "k";
  if (a >= 10 || a === 0) return String(Math.round(v * 10) / 10);
  return v.toPrecision(2).replace(/\.?0+$/, "");
}

// A "nice" axis top at or above v: 1, 2, 2.5, 5 times a power of ten.
export function niceTop(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

export async function getJSON(path) {
  const res = await fetch(path, {headers: {Accept: "application/json"}});
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data.error || res.statusText);
    err.status = res.status;
    throw err;
  }
  return data;
}

export async function postJSON(path, body) {
  const res = await fetch(path, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {}),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}
