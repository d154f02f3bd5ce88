// A sortable, filterable table that keeps only the rows in view in the DOM.
//
// With 2,000 endpoints a plain table rebuilt every second stalls the page; here the body
// is a fixed-row-height list inside a scroll box: a spacer as tall as all the rows keeps
// the scrollbar honest, and a pool of <tr>s (one screenful plus a margin) is moved and
// refilled as the box scrolls or the data changes. Cells are only written when their text
// changed. The header and the totals row are separate tables with the same <colgroup>,
// so they stay put while the body scrolls.
"use strict";

import {h} from "./util.js";

export const ROW_H = 26; // px; style.css sets the same height on .vt rows
const OVERSCAN = 6;

export class VirtualTable {
  // opts: {root, columns, rowKey, rowClass, onView}; columns: [{key, label, title, get, fmt, num, width, cls}]
  constructor(opts) {
    this.root = opts.root;
    this.rowKey = opts.rowKey;
    this.rowClass = opts.rowClass || (() => "");
    this.onView = opts.onView || (() => {});
    this.rows = [];
    this.view = [];
    this.total = null;
    this.filter = "";
    this.sort = {key: null, dir: 1};
    this.pool = [];
    this.headTable = this.root.querySelector(".vt-head table");
    this.scroll = this.root.querySelector(".vt-scroll");
    this.spacer = this.root.querySelector(".vt-spacer");
    this.bodyTable = this.spacer.querySelector("table");
    this.tbody = this.bodyTable.querySelector("tbody");
    this.footTable = this.root.querySelector(".vt-foot table");
    this.empty = this.root.querySelector(".vt-empty");
    let pending = false;
    this.scroll.addEventListener("scroll", () => {
      this.root.querySelector(".vt-head").scrollLeft = this.scroll.scrollLeft;
      this.root.querySelector(".vt-foot").scrollLeft = this.scroll.scrollLeft;
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; this.paint(); });
    });
    window.addEventListener("resize", () => this.paint());
    this.setColumns(opts.columns);
  }

  setColumns(columns) {
    const same = this.columns && this.columns.map((c) => c.key).join() === columns.map((c) => c.key).join();
    this.columns = columns;
    if (same) return;
    const minWidth = columns.reduce((s, c) => s + (c.width || 180), 0) + "px";
    for (const t of [this.headTable, this.bodyTable, this.footTable]) {
      t.querySelector("colgroup").replaceChildren(...columns.map((c) => {
        const col = h("col", {class: "c-" + c.key});
        if (c.width) col.style.width = c.width + "px"; // CSSOM, not a style attribute: CSP-safe
        return col;
      }));
      t.style.minWidth = minWidth;
    }
    const ths = columns.map((c) => h("th", {
      class: (c.num ? "" : "l ") + "sortable", title: c.title || c.label, "data-key": c.key,
      onclick: () => this.sortBy(c.key),
    }, c.label));
    this.headTable.querySelector("thead tr").replaceChildren(...ths);
    this.pool = [];
    this.tbody.replaceChildren();
    this.markSort();
    this.refresh();
  }

  setRows(rows, total) {
    this.rows = rows;
    this.total = total;
    this.refresh();
  }

  setFilter(text) {
    this.filter = text.trim().toLowerCase();
    this.refresh();
  }

  sortBy(key) {
    const col = this.columns.find((c) => c.key === key);
    if (!col) return;
    if (this.sort.key === key) this.sort.dir = -this.sort.dir;
    else this.sort = {key, dir: col.num ? -1 : 1}; // numbers: largest first
    this.markSort();
    this.refresh();
  }

  markSort() {
    for (const th of this.headTable.querySelectorAll("th")) {
      const on = th.dataset.key === this.sort.key;
      th.classList.toggle("sorted-asc", on && this.sort.dir > 0);
      th.classList.toggle("sorted-desc", on && this.sort.dir < 0);
      th.setAttribute("aria-sort", on ? (this.sort.dir > 0 ? "ascending" : "descending") : "none");
    }
  }

  refresh() {
    let view = this.rows;
    if (this.filter) {
      const f = this.filter;
      view = view.filter((r) => this.columns.some((c) => !c.num && String(c.get(r)).toLowerCase().includes(f)));
    }
    const col = this.columns.find((c) => c.key === this.sort.key);
    if (col) {
      const dir = this.sort.dir, get = col.get;
      view = view.slice().sort((a, b) => {
        const x = get(a), y = get(b);
        if (col.num) return dir * ((x ?? -Infinity) - (y ?? -Infinity));
        return dir * String(x).localeCompare(String(y));
      });
    }
    this.view = view;
    this.spacer.style.height = view.length * ROW_H + "px";
    this.empty.hidden = view.length > 0;
    this.empty.textContent = this.rows.length ? "No endpoint matches the filter." : "No requests yet.";
    this.paint();
    this.paintTotal();
    this.onView(view.length, this.rows.length);
  }

  paint() {
    const n = this.view.length;
    const first = Math.max(0, Math.floor(this.scroll.scrollTop / ROW_H) - OVERSCAN);
    const count = Math.min(n - first, Math.ceil((this.scroll.clientHeight || 600) / ROW_H) + 2 * OVERSCAN);
    while (this.pool.length < count) {
      const tr = h("tr", {}, this.columns.map((c) => h("td", {class: (c.num ? "" : "l ") + (c.cls || "")})));
      this.pool.push(tr);
    }
    const used = this.pool.slice(0, Math.max(0, count));
    if (this.tbody.children.length !== used.length) this.tbody.replaceChildren(...used);
    this.bodyTable.style.transform = `translateY(${first * ROW_H}px)`;
    used.forEach((tr, i) => {
      this.fill(tr, this.view[first + i]);
      tr.classList.toggle("odd", (first + i) % 2 === 1); // stripes follow the row, not the DOM slot
    });
  }

  fill(tr, row) {
    const key = this.rowKey(row);
    if (tr.dataset.key !== key) tr.dataset.key = key;
    const cls = this.rowClass(row);
    if (tr.className !== cls) tr.className = cls;
    this.columns.forEach((c, i) => {
      const v = c.get(row);
      const text = c.fmt ? c.fmt(v, row) : (v ?? "");
      const td = tr.children[i];
      if (td.textContent !== String(text)) {
        td.textContent = text;
        if (!c.num) td.title = text;
      }
    });
  }

  paintTotal() {
    const tbody = this.footTable.querySelector("tbody");
    if (!this.total) { tbody.replaceChildren(); return; }
    let tr = tbody.firstElementChild;
    if (!tr || tr.children.length !== this.columns.length) {
      tr = h("tr", {class: "total"}, this.columns.map((c) => h("td", {class: c.num ? "" : "l"})));
      tbody.replaceChildren(tr);
    }
    this.fill(tr, this.total);
    tr.className = "total";
  }
}
