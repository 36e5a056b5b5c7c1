// KI-Werkstatt dashboard: fetches the published figures and draws them with Chart.js.
// Figures arrive already suppressed by the server (null = fewer than 5 people behind it);
// this script never sees anything else.
"use strict";

const charts = {};
const SUPPRESSED = "unterdrückt";
const COLORS = ["#003064", "#2e7d32", "#f9a825", "#c62828", "#6a1b9a", "#00838f", "#5d4037", "#546e7a"];

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

function setPeriod(days) {
  const to = new Date();
  const from = new Date(to.getTime() - (days - 1) * 86400000);
  document.getElementById("from").value = isoDay(from);
  document.getElementById("to").value = isoDay(to);
}

function fmt(value, kind) {
  if (value === null || value === undefined) return SUPPRESSED;
  if (kind === "pct") return (value * 100).toLocaleString("de-DE", { maximumFractionDigits: 1 }) + " %";
  return Number(value).toLocaleString("de-DE");
}

function cell(row, value, kind) {
  const td = row.insertCell();
  td.textContent = fmt(value, kind);
  td.className = value === null || value === undefined ? "num suppressed" : "num";
  if (value === null || value === undefined) td.title = "weniger als 5 verschiedene Personen";
}

function textCell(row, text) {
  row.insertCell().textContent = text;
}

function draw(id, type, labels, datasets, options) {
  if (charts[id]) charts[id].destroy();
  const canvas = document.getElementById(id);
  canvas.dataset.labels = String(labels.length);
  charts[id] = new Chart(canvas, {
    type: type,
    data: { labels: labels, datasets: datasets },
    options: Object.assign(
      { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: datasets.length > 1 } } },
      options || {}
    ),
  });
}

function fillTable(id, rows, render) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  for (const item of rows) render(body.insertRow(), item);
  if (!rows.length) {
    const td = body.insertRow().insertCell();
    td.colSpan = 10;
    td.textContent = "keine Einträge im Zeitraum";
  }
}

function render(data) {
  document.getElementById("min-users").textContent = data.min_distinct_users;
  const totals = document.getElementById("totals");
  totals.replaceChildren();
  for (const [label, value] of [
    ["Zeitraum", data.period.from + " bis " + data.period.to],
    ["Anfragen", fmt(data.totals.turns)],
    ["Antwortzeit Median (p50)", data.totals.latency_p50_ms === null ? SUPPRESSED : fmt(data.totals.latency_p50_ms) + " ms"],
    ["Antwortzeit p95", data.totals.latency_p95_ms === null ? SUPPRESSED : fmt(data.totals.latency_p95_ms) + " ms"],
  ]) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    totals.append(dt, dd);
  }

  draw("chart-days", "bar", data.per_day.map((d) => d.day), [
    { label: "Anfragen", data: data.per_day.map((d) => d.turns), backgroundColor: COLORS[0] },
  ]);
  const skills = data.per_skill;
  const names = skills.map((s) => s.skill);
  draw("chart-skills", "bar", names, [
    { label: "Anfragen", data: skills.map((s) => s.turns), backgroundColor: COLORS[0] },
  ], { plugins: { title: { display: true, text: "Anfragen pro Skill" } } });
  draw("chart-latency", "bar", names, [
    { label: "p50 (ms)", data: skills.map((s) => s.latency_p50_ms), backgroundColor: COLORS[5] },
    { label: "p95 (ms)", data: skills.map((s) => s.latency_p95_ms), backgroundColor: COLORS[7] },
  ], { plugins: { title: { display: true, text: "Antwortzeit" } } });
  draw("chart-feedback", "bar", names, [
    { label: "👍", data: skills.map((s) => s.feedback_up), backgroundColor: COLORS[1] },
    { label: "👎", data: skills.map((s) => s.feedback_down), backgroundColor: COLORS[3] },
  ], { plugins: { title: { display: true, text: "Rückmeldungen" } } });
  draw("chart-quality", "bar", names, [
    { label: "mit Quellenangabe (%)", data: skills.map((s) => (s.citation_share === null ? null : s.citation_share * 100)), backgroundColor: COLORS[0] },
    { label: "„keine Aussage“ (%)", data: skills.map((s) => (s.no_answer_rate === null ? null : s.no_answer_rate * 100)), backgroundColor: COLORS[2] },
  ], { plugins: { title: { display: true, text: "Quellenangaben und „keine Aussage“" } }, scales: { y: { min: 0, max: 100 } } });
  draw("chart-denials", "bar", data.kipass_denials.map((d) => d.reason), [
    { label: "Ablehnungen", data: data.kipass_denials.map((d) => d.count), backgroundColor: COLORS[2] },
  ], { indexAxis: "y" });
  draw("chart-failures", "bar", data.failures.map((d) => d.reason), [
    { label: "Fehler", data: data.failures.map((d) => d.count), backgroundColor: COLORS[3] },
  ], { indexAxis: "y" });

  fillTable("skills-table", skills, (row, s) => {
    textCell(row, s.skill);
    cell(row, s.turns);
    cell(row, s.latency_p50_ms);
    cell(row, s.latency_p95_ms);
    cell(row, s.citation_share, "pct");
    cell(row, s.no_answer_rate, "pct");
    cell(row, s.stopped_rate, "pct");
    cell(row, s.feedback_up);
    cell(row, s.feedback_down);
  });
  fillTable("denials-table", data.kipass_denials, (row, d) => { textCell(row, d.reason); cell(row, d.count); });
  fillTable("failures-table", data.failures, (row, d) => { textCell(row, d.reason); cell(row, d.count); });
}

async function load() {
  const from = document.getElementById("from").value;
  const to = document.getElementById("to").value;
  const query = "?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to);
  document.getElementById("export").href = "/werkstatt/export.csv" + query;
  const status = document.getElementById("status");
  status.className = "";
  status.textContent = "Lade Zahlen …";
  const response = await fetch("/werkstatt/api/figures" + query, { credentials: "same-origin" });
  const data = await response.json();
  if (!response.ok) {
    status.className = "error";
    status.textContent = data.error || "Die Zahlen konnten nicht geladen werden.";
    return;
  }
  render(data);
  status.textContent = "Zeitraum " + data.period.from + " bis " + data.period.to + ": " + data.lines_read.toLocaleString("de-DE") + " Protokollzeilen ausgewertet.";
  document.body.dataset.period = data.period.from + "/" + data.period.to;
}

function showProblems(problems) {
  const box = document.getElementById("prioritise-problems");
  box.replaceChildren();
  const title = document.createElement("p");
  title.textContent = "Die Inventarliste ist nicht verwendbar. Bitte korrigieren Sie:";
  const list = document.createElement("ul");
  for (const p of problems) {
    const li = document.createElement("li");
    li.textContent = p;
    list.append(li);
  }
  box.append(title, list);
  box.hidden = false;
  document.getElementById("prioritise-result").hidden = true;
}

async function prioritise(asZip) {
  const form = document.getElementById("prioritise-form");
  if (!form.reportValidity()) return;
  const body = new FormData(form);
  const response = await fetch("/werkstatt/prioritise" + (asZip ? "?format=zip" : ""), {
    method: "POST", body: body, credentials: "same-origin",
  });
  if (asZip && response.ok) {
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "priorisierung.zip";
    link.click();
    URL.revokeObjectURL(link.href);
    return;
  }
  const data = await response.json();
  if (!response.ok || !data.ok) {
    showProblems(data.problems || [data.error || "Unbekannter Fehler"]);
    return;
  }
  document.getElementById("prioritise-problems").hidden = true;
  const waves = {};
  if (data.schedule) for (const s of data.schedule.slots) waves[s.rank] = s.wave;
  fillTable("ranking-table", data.ranking.slice(0, 15), (row, r) => {
    cell(row, r.rank);
    textCell(row, r.name);
    textCell(row, r.unit);
    row.insertCell().textContent = r.potential_fte.toLocaleString("de-DE", { maximumFractionDigits: 2 });
    row.insertCell().textContent = r.effort_person_days.toLocaleString("de-DE");
    textCell(row, r.data_protection);
    row.insertCell().textContent = r.score.toLocaleString("de-DE", { maximumFractionDigits: 2 });
    textCell(row, r.quick_win ? "ja" : "");
    textCell(row, waves[r.rank] || "");
  });
  document.getElementById("prioritise-summary").textContent =
    data.processes + " Prozesse, Einsparpotenzial insgesamt " +
    data.total_potential_fte.toLocaleString("de-DE", { maximumFractionDigits: 2 }) + " VZÄ, " +
    data.quick_wins.length + " Quick Wins.";
  document.getElementById("schedule-message").textContent = data.schedule_message || "";
  document.getElementById("matrix-chart").src = data.charts.matrix;
  const timeline = document.getElementById("timeline-chart");
  timeline.hidden = !data.charts.timeline;
  if (data.charts.timeline) timeline.src = data.charts.timeline;
  document.getElementById("prioritise-result").hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  setPeriod(30);
  document.getElementById("period-form").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  for (const button of document.querySelectorAll("button[data-days]")) {
    button.addEventListener("click", () => {
      setPeriod(Number(button.dataset.days));
      load();
    });
  }
  document.getElementById("prioritise-form").addEventListener("submit", (event) => {
    event.preventDefault();
    prioritise(false);
  });
  document.getElementById("prioritise-zip").addEventListener("click", () => prioritise(true));
  load();
});
