// Run control: the start form (users + spawn rate, or an open-model arrival rate), the
// live form that re-targets a running test, Stop, Reset stats, New test, and the theme.
// Every command is a POST with a JSON body (the endpoint refuses anything else).
"use strict";

import {$, $$, postJSON} from "./util.js";

const THEME_KEY = "fastswarm.theme";

export function setupTheme() {
  const button = $("#theme-toggle");
  const paint = () => {
    const dark = document.documentElement.classList.contains("dark");
    button.textContent = dark ? "☀ Light" : "☾ Dark";
    button.setAttribute("aria-pressed", String(dark));
  };
  button.addEventListener("click", () => {
    const dark = document.documentElement.classList.toggle("dark");
    try { localStorage.setItem(THEME_KEY, dark ? "dark" : "light"); } catch (err) { /* private mode */ }
    paint();
  });
  paint();
}

export function showMessage(text, ok) {
  const m = $("#message");
  m.textContent = text;
  m.className = ok ? "ok" : "bad";
}

export class Controls {
  // refresh: called after each command so the page shows its effect at once
  constructor(refresh) {
    this.refresh = refresh;
    this.snap = null;
    this.newTest = false; // "New test" pressed after a stop: show the start form again
    this.filled = false;
    this.liveDirty = false;
    for (const r of $$("input[name=mode]")) r.addEventListener("change", () => this.showMode());
    $("#start-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.start(); });
    $("#live-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.apply(); });
    $("#live-form").addEventListener("input", () => { this.liveDirty = true; });
    $("#stop").addEventListener("click", () => this.command("/stop", {}, "stopped"));
    $("#reset").addEventListener("click", () => this.command("/reset", {}, "stats reset"));
    $("#new-test").addEventListener("click", () => { this.newTest = true; this.update(this.snap); });
    this.showMode();
  }

  openModel() { return $("#mode-rate").checked; }

  showMode() {
    const open = this.openModel();
    for (const e of $$(".closed-only")) e.hidden = open;
    for (const e of $$(".open-only")) e.hidden = !open;
    $("#f-users").required = !open;
    $("#f-spawn-rate").required = !open;
    $("#f-rate").required = open;
  }

  async command(path, body, done) {
    try {
      await postJSON(path, body);
      showMessage(done, true);
    } catch (err) {
      showMessage(err.message, false);
    }
    this.refresh();
  }

  async start() {
    const body = {};
    if (this.openModel()) body.rate = Number($("#f-rate").value);
    else Object.assign(body, {users: Number($("#f-users").value), spawn_rate: Number($("#f-spawn-rate").value)});
    if ($("#f-host").value.trim()) body.host = $("#f-host").value.trim();
    if ($("#f-run-time").value.trim()) body.run_time = $("#f-run-time").value.trim();
    this.newTest = false;
    this.liveDirty = false;
    await this.command("/swarm", body, "started");
  }

  async apply() {
    const s = this.snap || {};
    const body = s.target_rate !== null && s.target_rate !== undefined
      ? {rate: Number($("#l-rate").value)}
      : {users: Number($("#l-users").value), spawn_rate: Number($("#l-spawn-rate").value)};
    // Re-targeting restarts the run-time timer: hand it what was left, so the end stays put.
    if (typeof s.run_time_left_s === "number") body.run_time = Math.max(1, Math.ceil(s.run_time_left_s));
    this.liveDirty = false;
    await this.command("/swarm", body, "changed");
  }

  // Which panel shows follows the run's state; form values are filled once, never over typing.
  update(s) {
    if (!s) return;
    this.snap = s;
    const active = ["spawning", "running", "stopping"].includes(s.state);
    const stopped = s.state === "stopped";
    $("#start-form").hidden = active || (stopped && !this.newTest);
    $("#live-form").hidden = !active;
    $("#stopped-panel").hidden = !(stopped && !this.newTest);
    $("#stop").disabled = !active;
    if (!this.filled && s.defaults) {
      $("#f-users").value = s.defaults.users;
      $("#f-spawn-rate").value = s.defaults.spawn_rate;
      $("#f-host").value = s.host || s.defaults.host || "";
      this.filled = true;
    }
    const open = s.target_rate !== null;
    $("#live-users").hidden = open;
    $("#live-rate").hidden = !open;
    const editing = $("#live-form").contains(document.activeElement);
    if (!this.liveDirty && !editing) {
      $("#l-users").value = s.target_users;
      $("#l-spawn-rate").value = s.spawn_rate;
      if (open) $("#l-rate").value = s.target_rate;
    }
  }
}
