// Inline SVG charts: the learner's pitch contour against the reference's, and scores over time.

import { t } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function compact() {
  return window.innerWidth < 600;
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function ticks(lo, hi, count) {
  const step = niceStep(hi - lo || 1, count);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(6));
  return out;
}

// [{times:[], f0_hz:[]}] -> voiced points [[t, f]]
function points(contour) {
  if (!contour || !Array.isArray(contour.times) || !Array.isArray(contour.f0_hz)) return [];
  const out = [];
  contour.times.forEach((time, i) => {
    const f = contour.f0_hz[i];
    out.push(typeof time === "number" && typeof f === "number" && f > 0 ? [time, f] : null);
  });
  return out;
}

function pathOf(pts, x, y) {
  let d = "";
  let pen = false;
  for (const p of pts) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)} `;
    pen = true;
  }
  return d.trim();
}

/**
 * The pitch plot, or null when neither contour has a voiced point. `opts.learnerName` labels
 * the learner's curve with their name (a therapist's screen) instead of "you".
 */
export function pitchPlot(pitch, opts = {}) {
  const desc = opts.learnerName ? t("pitch_desc_named", { name: opts.learnerName }) : t("pitch_desc");
  const learner = points(pitch && pitch.contour);
  const reference = points(pitch && pitch.reference && pitch.reference.contour);
  const voiced = [...learner, ...reference].filter(Boolean);
  if (!voiced.length) return null;
  // Narrow screens get a narrower drawing, so its text stays readable when scaled to fit.
  const W = compact() ? 360 : 640;
  const H = compact() ? 240 : 300;
  const m = { l: 48, r: 12, t: 34, b: 44 };
  const tMax = Math.max(...voiced.map((p) => p[0]), 0.1);
  let fLo = Math.min(...voiced.map((p) => p[1]));
  let fHi = Math.max(...voiced.map((p) => p[1]));
  const pad = Math.max(10, (fHi - fLo) * 0.1);
  fLo = Math.max(0, fLo - pad);
  fHi += pad;
  const x = (v) => m.l + (v / tMax) * (W - m.l - m.r);
  const y = (v) => H - m.b - ((v - fLo) / (fHi - fLo)) * (H - m.t - m.b);

  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart pitch-plot",
    role: "img",
    "aria-label": desc,
    "data-learner-points": learner.filter(Boolean).length,
    "data-reference-points": reference.filter(Boolean).length,
  });
  svg.append(el("title", {}, desc));
  const grid = el("g", { class: "grid" });
  for (const f of ticks(fLo, fHi, 5)) {
    grid.append(el("line", { x1: m.l, x2: W - m.r, y1: y(f), y2: y(f) }));
    grid.append(el("text", { x: m.l - 6, y: y(f) + 4, "text-anchor": "end" }, String(Math.round(f))));
  }
  for (const s of ticks(0, tMax, 6)) {
    grid.append(el("line", { x1: x(s), x2: x(s), y1: m.t, y2: H - m.b, class: "v" }));
    grid.append(el("text", { x: x(s), y: H - m.b + 16, "text-anchor": "middle" }, String(s)));
  }
  svg.append(grid);
  svg.append(el("text", { x: (W + m.l) / 2, y: H - 6, "text-anchor": "middle", class: "axis" }, t("pitch_axis_x")));
  svg.append(
    el("text", { x: 14, y: (H - m.b + m.t) / 2, transform: `rotate(-90 14 ${(H - m.b + m.t) / 2})`, "text-anchor": "middle", class: "axis" }, t("pitch_axis_y")),
  );
  if (reference.some(Boolean)) svg.append(el("path", { d: pathOf(reference, x, y), class: "line reference" }));
  if (learner.some(Boolean)) svg.append(el("path", { d: pathOf(learner, x, y), class: "line learner" }));
  const legend = el("g", { class: "legend", transform: `translate(${m.l + 4},14)` });
  legend.append(el("line", { x1: 0, x2: 24, y1: 0, y2: 0, class: "line learner" }));
  const name = opts.learnerName && opts.learnerName.length > 14 ? `${opts.learnerName.slice(0, 13)}…` : opts.learnerName;
  legend.append(el("text", { x: 30, y: 4 }, name || t("pitch_learner")));
  if (reference.some(Boolean)) {
    const at = compact() ? 110 : 150;
    legend.append(el("line", { x1: at, x2: at + 24, y1: 0, y2: 0, class: "line reference" }));
    legend.append(el("text", { x: at + 30, y: 4 }, t("pitch_reference")));
  }
  svg.append(legend);
  return svg;
}

/** Overall scores over time: [{when: Date, score: number, label}] in time order. */
export function scoreChart(items) {
  const W = compact() ? 360 : 640;
  const H = 180;
  const m = { l: 40, r: 16, t: 12, b: 28 };
  const n = items.length;
  const x = (i) => (n === 1 ? (W + m.l - m.r) / 2 : m.l + (i / (n - 1)) * (W - m.l - m.r));
  const y = (v) => H - m.b - (v / 100) * (H - m.t - m.b);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart score-chart", role: "img", "aria-label": t("history_chart_desc") });
  svg.append(el("title", {}, t("history_chart_desc")));
  const grid = el("g", { class: "grid" });
  for (const v of [0, 25, 50, 75, 100]) {
    grid.append(el("line", { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }));
    grid.append(el("text", { x: m.l - 6, y: y(v) + 4, "text-anchor": "end" }, String(v)));
  }
  svg.append(grid);
  if (n) {
    const fmt = (d) => d.toLocaleDateString(undefined, { month: "numeric", day: "numeric" });
    svg.append(el("text", { x: x(0), y: H - 8, "text-anchor": n === 1 ? "middle" : "start", class: "axis" }, fmt(items[0].when)));
    if (n > 1) svg.append(el("text", { x: x(n - 1), y: H - 8, "text-anchor": "end", class: "axis" }, fmt(items[n - 1].when)));
    svg.append(el("polyline", { points: items.map((it, i) => `${x(i)},${y(it.score)}`).join(" "), class: "line learner" }));
    items.forEach((it, i) => {
      const dot = el("circle", { cx: x(i), cy: y(it.score), r: 4, class: "dot" });
      dot.append(el("title", {}, `${it.when.toLocaleString()} · ${it.label} · ${it.score.toFixed(1)}`));
      svg.append(dot);
    });
  }
  return svg;
}
