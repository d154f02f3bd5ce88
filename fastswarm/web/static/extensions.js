// Tabs a tasks file added (environment.web_ui.add_tab), each showing one route of this server.
// JSON: a list of objects is a table (the tab's columns, else the rows' keys), an object is
// name/value rows, anything else is printed; HTML goes in a sandboxed frame (its scripts run,
// but as another origin, so the page cannot act as this UI); other text is printed as is.
// JSON tabs refresh with the page's poll while they show; a frame reloads on request.
"use strict";

import {$, h} from "./util.js";

const MAX_ROWS = 1000;

export class ExtensionTabs {
  constructor() {
    this.tabs = new Map(); // "ext-N" -> {tab, body, framed}
  }

  async load(onClick) {
    let doc;
    try {
      const res = await fetch("/extensions", {headers: {Accept: "application/json"}});
      if (!res.ok) return;
      doc = await res.json();
    } catch {
      return;
    }
    if (doc.login) {
      $("header").append(h("form", {method: "post", action: "/logout", class: "logout"},
        h("button", {type: "submit", class: "ghost"}, "Log out")));
    }
    doc.tabs.forEach((tab, i) => {
      const name = "ext-" + i;
      $(".tabs").append(h("button", {"data-tab": name, role: "tab", onclick: () => onClick(name)}, tab.title));
      const body = h("div", {class: "ext-body"});
      const reload = h("button", {type: "button", onclick: () => this.reload(name)}, "Reload");
      const toolbar = h("div", {class: "toolbar"}, [h("span", {class: "note"}, ["from ", h("code", {}, tab.route)]), reload]);
      $("main").append(h("section", {id: "tab-" + name, class: "tab", hidden: true}, [toolbar, body]));
      this.tabs.set(name, {tab, body, framed: false});
    });
  }

  has(name) {
    return this.tabs.has(name);
  }

  reload(name) {
    const t = this.tabs.get(name);
    if (t) t.framed = false;
    return this.refresh(name);
  }

  async refresh(name) {
    const t = this.tabs.get(name);
    if (!t || t.framed) return;
    let res;
    try {
      res = await fetch(t.tab.route, {headers: {Accept: "application/json, text/html;q=0.9, */*;q=0.5"}});
    } catch (err) {
      t.body.replaceChildren(h("p", {class: "note bad"}, `${t.tab.route}: unreachable`));
      return;
    }
    const kind = (res.headers.get("Content-Type") || "").toLowerCase();
    if (!res.ok) {
      const data = kind.startsWith("application/json") ? await res.json().catch(() => ({})) : {};
      t.body.replaceChildren(h("p", {class: "note bad"}, `${t.tab.route}: ${res.status} ${data.error || res.statusText}`));
      return;
    }
    if (kind.startsWith("text/html")) {
      t.framed = true;
      const frame = h("iframe", {src: t.tab.route, sandbox: "allow-scripts", class: "ext-frame", title: t.tab.title});
      t.body.replaceChildren(frame);
    } else if (kind.startsWith("application/json")) {
      t.body.replaceChildren(renderJSON(await res.json(), t.tab.columns));
    } else {
      t.body.replaceChildren(h("pre", {class: "ext-text"}, await res.text()));
    }
  }
}

function cell(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function renderJSON(data, columns) {
  const rows = Array.isArray(data) && data.every((r) => r && typeof r === "object" && !Array.isArray(r)) ? data : null;
  if (rows) {
    let cols = columns.map((c) => [c.key, c.title]);
    if (!cols.length) {
      const keys = [];
      for (const r of rows.slice(0, 50)) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
      cols = keys.map((k) => [k, k]);
    }
    const shown = rows.slice(0, MAX_ROWS);
    const head = h("tr", {}, cols.map(([, title]) => h("th", {class: "l"}, title)));
    const body = shown.length
      ? shown.map((r) => h("tr", {}, cols.map(([key]) => h("td", {class: "l"}, cell(r[key])))))
      : [h("tr", {class: "empty"}, h("td", {colspan: String(cols.length || 1)}, "no rows"))];
    const table = h("table", {class: "plain ext-table"}, [h("thead", {}, head), h("tbody", {}, body)]);
    const more = rows.length > MAX_ROWS ? h("p", {class: "note"}, `first ${MAX_ROWS} of ${rows.length} rows`) : null;
    return more ? h("div", {}, [table, more]) : table;
  }
  if (data && typeof data === "object" && !Array.isArray(data)) {
    const body = Object.entries(data).map(([k, v]) => h("tr", {}, [h("th", {class: "l"}, k), h("td", {class: "l"}, cell(v))]));
    return h("table", {class: "plain ext-table"}, h("tbody", {}, body));
  }
  return h("pre", {class: "ext-text"}, JSON.stringify(data, null, 2));
}
