// KI-Werkstatt dashboard: fetches the published figures and draws them with Chart.js.
// Figures arrive already suppressed by the server: every cell is {value, status,
// left_out_weeks}; status "suppressed" = fewer than 5 people behind it, "none" = nothing to
// compute, "partial" = weeks with fewer than 5 people left out. Nothing else reaches this script.
"use strict";

const charts = {};
const SUPPRESSED = "unterdrückt";
const COLORS = ["#003064", "#2e7d32", "#f9a825", "#c62828", "#6a1b9a", "#00838f", "#5d4037", "#546e7a"];
const WEEKDAYS = ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"];

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

function germanDate(iso) {
  const [y, m, d] = iso.split("-");
  return d + "." + m + "." + y;
}

function dayLabel(iso) {
  const [y, m, d] = iso.split("-");
  return WEEKDAYS[new Date(Date.UTC(+y, +m - 1, +d)).getUTCDay()] + " " + d + "." + m + ".";
}

function setWeeks(weeks) {
  const to = new Date();
  const from = new Date(to.getTime() - weeks * 7 * 86400000);
  document.getElementById("from").value = isoDay(from);
  document.getElementById("to").value = isoDay(to);
}

function value(c) {
  return c && (c.status === "shown" || c.status === "partial") ? c.value : null;
}

function fmt(c, kind, unit) {
  if (!c || c.status === "suppressed") return SUPPRESSED;
  if (c.status === "none" || c.value === null) return "–";
  let text = kind === "pct"
    ? (c.value * 100).toLocaleString("de-DE", { maximumFractionDigits: 1 }) + " %"
    : Number(c.value).toLocaleString("de-DE") + (unit ? " " + unit : "");
  if (c.status === "partial") text += " *";
  return text;
}

function hint(c) {
  if (!c || c.status === "suppressed") return "weniger als 5 verschiedene Personen";
  if (c.status === "partial") {
    const n = c.left_out_weeks;
    return "ohne " + (n === 1 ? "1 Woche" : n + " Wochen") + " mit weniger als 5 Personen";
  }
  return "";
}

function cell(row, c, kind) {
  const td = row.insertCell();
  td.textContent = fmt(c, kind);
  td.className = !c || c.status === "suppressed" ? "num suppressed" : "num";
  const why = hint(c);
  if (why) td.title = why;
}

function textCell(row, text) {
  row.insertCell().textContent = text;
}

function draw(id, type, labels, datasets, options) {
  if (charts[id]) charts[id].destroy();
  const canvas = document.getElementById(id);
  canvas.dataset.labels = String(labels.length);
  canvas.dataset.values = String(datasets.reduce((n, d) => n + d.data.filter((v) => v !== null && v > 0).length, 0));
  charts[id] = new Chart(canvas, {
    type: type,
    data: { labels: labels, datasets: datasets },
    options: Object.assign(
      { locale: "de-DE", responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: datasets.length > 1 } } },
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

function pct(c) {
  const v = value(c);
  return v === null ? null : v * 100;
}

function render(data) {
  document.getElementById("min-users").textContent = data.min_distinct_users;
  const weeks = data.period.weeks;
  const span = weeks.length === 1 ? weeks[0] : weeks[0] + " bis " + weeks[weeks.length - 1];
  const totals = document.getElementById("totals");
  totals.replaceChildren();
  for (const [label, text] of [
    ["Zeitraum", span + " (" + germanDate(data.period.from) + " bis " + germanDate(data.period.to) + ")"],
    ["Anfragen", fmt(data.totals.turns)],
    ["Antwortzeit Median", fmt(data.totals.latency_p50_ms, "", "ms")],
    ["Antwortzeit p95", fmt(data.totals.latency_p95_ms, "", "ms")],
  ]) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = text;
    totals.append(dt, dd);
  }

  draw("chart-days", "bar", data.per_day.map((d) => dayLabel(d.day)), [
    { label: "Anfragen", data: data.per_day.map((d) => value(d.turns)), backgroundColor: COLORS[0] },
  ]);
  const skills = data.per_skill;
  const names = skills.map((s) => s.label);
  draw("chart-skills", "bar", names, [
    { label: "Anfragen", data: skills.map((s) => value(s.turns)), backgroundColor: COLORS[0] },
  ], { plugins: { title: { display: true, text: "Anfragen pro Funktion" } } });
  draw("chart-latency", "bar", names, [
    { label: "Median (ms)", data: skills.map((s) => value(s.latency_p50_ms)), backgroundColor: COLORS[5] },
    { label: "p95 (ms)", data: skills.map((s) => value(s.latency_p95_ms)), backgroundColor: COLORS[7] },
  ], { plugins: { title: { display: true, text: "Antwortzeit" } } });
  draw("chart-feedback", "bar", names, [
    { label: "hilfreich", data: skills.map((s) => value(s.feedback_up)), backgroundColor: COLORS[1] },
    { label: "nicht hilfreich", data: skills.map((s) => value(s.feedback_down)), backgroundColor: COLORS[3] },
  ], { plugins: { title: { display: true, text: "Rückmeldungen" } } });
  draw("chart-quality", "bar", names, [
    { label: "mit Quellenangabe (%)", data: skills.map((s) => pct(s.citation_share)), backgroundColor: COLORS[0] },
    { label: "„keine Aussage“ (%)", data: skills.map((s) => pct(s.no_answer_rate)), backgroundColor: COLORS[2] },
  ], { plugins: { title: { display: true, text: "Quellenangaben und „keine Aussage“" } }, scales: { y: { min: 0, max: 100 } } });
  draw("chart-denials", "bar", data.kipass_denials.map((d) => d.label), [
    { label: "Ablehnungen", data: data.kipass_denials.map((d) => value(d.count)), backgroundColor: COLORS[2] },
  ], { indexAxis: "y" });
  draw("chart-failures", "bar", data.failures.map((d) => d.label), [
    { label: "Fehler", data: data.failures.map((d) => value(d.count)), backgroundColor: COLORS[3] },
  ], { indexAxis: "y" });

  fillTable("skills-table", skills, (row, s) => {
    textCell(row, s.label);
    cell(row, s.turns);
    cell(row, s.latency_p50_ms);
    cell(row, s.latency_p95_ms);
    cell(row, s.citation_share, "pct");
    cell(row, s.no_answer_rate, "pct");
    cell(row, s.stopped_rate, "pct");
    cell(row, s.feedback_up);
    cell(row, s.feedback_down);
  });
  fillTable("denials-table", data.kipass_denials, (row, d) => { textCell(row, d.label); cell(row, d.count); });
  fillTable("failures-table", data.failures, (row, d) => { textCell(row, d.label); cell(row, d.count); });
}

let latestLoad = 0;

async function load(withPeriod) {
  const mine = ++latestLoad; // an answer that arrives after a newer request is dropped
  const from = document.getElementById("from").value;
  const to = document.getElementById("to").value;
  const query = withPeriod ? "?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to) : "";
  const status = document.getElementById("status");
  status.className = "";
  status.textContent = "Lade Zahlen …";
  const response = await fetch("/werkstatt/api/figures" + query, { credentials: "same-origin" });
  const data = await response.json();
  if (mine !== latestLoad) return;
  if (!response.ok) {
    status.className = "error";
    status.textContent = data.error || "Die Zahlen konnten nicht geladen werden.";
    return;
  }
  render(data);
  // The server widened the period to whole, closed weeks: show what was counted.
  document.getElementById("from").value = data.period.from;
  document.getElementById("to").value = data.period.to;
  document.getElementById("export").href =
    "/werkstatt/export.csv?from=" + data.period.from + "&to=" + data.period.to;
  const n = data.period.weeks.length;
  status.textContent = "Ausgewertet: " + (n === 1 ? "1 abgeschlossene Kalenderwoche" : n + " abgeschlossene Kalenderwochen") +
    ", " + germanDate(data.period.from) + " bis " + germanDate(data.period.to) + ".";
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
  document.getElementById("period-form").addEventListener("submit", (event) => {
    event.preventDefault();
    load(true);
  });
  for (const button of document.querySelectorAll("button[data-weeks]")) {
    button.addEventListener("click", () => {
      setWeeks(Number(button.dataset.weeks));
      load(true);
    });
  }
  document.getElementById("prioritise-form").addEventListener("submit", (event) => {
    event.preventDefault();
    prioritise(false);
  });
  document.getElementById("prioritise-zip").addEventListener("click", () => prioritise(true));
  load(false);
});
