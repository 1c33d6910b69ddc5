// Live parts of the dashboard: the pages work without this file; with it, progress and
// job lists follow the API's event stream (/v1/events, the session cookie authenticates).
// Text only: every value from an event goes through textContent, never innerHTML.
"use strict";

(function () {
  const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

  function follow(element, onEvent) {
    const url = element.dataset.stream + "?last_event_id=" + encodeURIComponent(element.dataset.after);
    // EventSource resumes after a reconnect by itself: it sends Last-Event-ID.
    const source = new EventSource(url);
    const handle = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (_) {
        return;
      }
      onEvent(event, message.type, source);
    };
    for (const type of ["started", "progress", "retrying", "succeeded", "failed", "cancelled", "resync"]) {
      source.addEventListener(type, handle);
    }
    return source;
  }

  function describe(event, type) {
    const parts = [event.kind || "job", type];
    if (event.stage) parts.push("· " + event.stage);
    if (event.message && event.message !== "done") parts.push("— " + event.message);
    return parts.join(" ");
  }

  async function refresh(ids) {
    const response = await fetch(window.location.pathname, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ids) {
      const now = document.getElementById(id);
      const next = fresh.getElementById(id);
      if (now && next) now.replaceWith(document.importNode(next, true));
    }
  }

  function repositoryProgress(section) {
    const list = document.getElementById("events");
    const status = document.getElementById("live-status");
    follow(section, (event, type) => {
      if (type === "resync" || event.repository_id !== section.dataset.repository) return;
      const item = document.createElement("li");
      item.className = "event-" + type;
      item.textContent = describe(event, type);
      list.appendChild(item);
      status.textContent = (event.kind || "job") + " " + type;
      status.dataset.kind = event.kind || "";
      status.dataset.state = type;
      if (TERMINAL.has(type) && event.kind !== "sync") {
        refresh(["refreshable"]);
      }
    });
  }

  function cell(row, className, text) {
    const td = row.querySelector("." + className) || row.appendChild(document.createElement("td"));
    td.className = className;
    td.textContent = text;
  }

  function jobList(table) {
    const body = table.tBodies[0];
    follow(table, (event, type) => {
      if (type === "resync" || !event.job_id) return;
      let row = document.getElementById("job-" + event.job_id);
      if (!row) {
        row = document.createElement("tr");
        row.id = "job-" + event.job_id;
        for (const text of [event.job_id.slice(0, 8), event.kind || "", ""]) {
          row.appendChild(document.createElement("td")).textContent = text;
        }
        body.insertBefore(row, body.firstChild);
      }
      row.className = "status-" + type;
      cell(row, "job-status", type);
      const detail = [event.stage, event.message].filter(Boolean).join(": ");
      const text = row.querySelector(".job-detail-text");
      if (text) text.textContent = detail;
      else cell(row, "job-detail", detail);
      if (TERMINAL.has(type)) row.querySelectorAll("form").forEach((form) => form.remove());
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const section = document.getElementById("progress");
    if (section && section.dataset.stream) repositoryProgress(section);
    const jobs = document.getElementById("jobs");
    if (jobs && jobs.dataset.stream) jobList(jobs);
  });
})();
