// Inline SVG charts: the pitch plot of a result (pitch-plot.js) and the scores of a sentence's
// attempts over time (the history).

import { t } from "./i18n.js";
import { compact, el, textWidth } from "./svg.js";

export { compact } from "./svg.js";
export { pitchPlot } from "./pitch-plot.js";

const band = (v) => ["poor", "fair", "good"][(v >= 60) + (v >= 80)]; // as result.js band()

/**
 * The overall score of each attempt at one sentence, oldest first: [{attempt, when, score}]
 * (score null: no score, left as a gap). Attempt numbers under the dots, the first and last
 * date and time under them, formatted by `fmtWhen` (the page's language, Asia/Taipei).
 */
export function scoreChart(items, { fmtWhen, label = "" } = {}) {
  const small = compact();
  const size = small ? 13 : 12;
  const W = small ? Math.max(260, Math.min(330, window.innerWidth - 60)) : 460;
  const n = items.length;
  const first = n && fmtWhen ? fmtWhen(items[0].when) : "";
  const last = n && fmtWhen ? fmtWhen(items[n - 1].when) : "";
  const both = n > 1 && first !== last;
  // the first and last date side by side, or on two rows when they would touch
  const dateRows = !last ? 0 : both && textWidth(first, size - 1) + textWidth(last, size - 1) + 16 > W ? 2 : 1;
  const m = { l: 30, r: 14, t: 18, b: (1 + dateRows) * (size + 6) + 4 };
  const H = m.t + 96 + m.b;
  const bottom = H - m.b;
  const inner = W - m.l - m.r - 24;
  const x = (i) => (n === 1 ? m.l + 12 + inner / 2 : m.l + 12 + (i / (n - 1)) * inner);
  const y = (v) => bottom - (v / 100) * (bottom - m.t);
  const scored = items.map((it, i) => ({ ...it, i })).filter((it) => typeof it.score === "number");
  const desc = label ? t("history_sentence_chart_desc", { text: label }) : t("history_chart_desc");
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart score-chart attempts-chart",
    role: "img",
    "aria-label": desc,
    "data-attempts": n,
    "data-scored": scored.length,
  });
  svg.append(el("title", {}, desc));
  const grid = el("g", { class: "grid" });
  for (const v of [0, 50, 100]) {
    grid.append(el("line", { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }));
    grid.append(el("text", { x: m.l - 5, y: y(v) + 4, "text-anchor": "end", "font-size": size - 1 }, String(v)));
  }
  svg.append(grid);
  // attempt numbers: all of them when they fit, else every k-th and the last
  const every = Math.max(1, Math.ceil((n * textWidth("00", size) * 1.6) / inner));
  const numbers = el("g", { class: "attempt-numbers" });
  items.forEach((it, i) => {
    if (i % every && i !== n - 1) return;
    numbers.append(el("text", { x: x(i), y: bottom + size + 3, "text-anchor": "middle", "font-size": size - 1 }, String(it.attempt)));
  });
  svg.append(numbers);
  const row = (k) => bottom + (k + 2) * size + 9 + k * 6;
  if (dateRows && !both) {
    svg.append(el("text", { x: x(n - 1), y: row(0), "text-anchor": "middle", class: "axis when", "font-size": size - 1 }, last));
  } else if (dateRows) {
    svg.append(el("text", { x: m.l, y: row(0), "text-anchor": "start", class: "axis when", "font-size": size - 1 }, first));
    svg.append(el("text", { x: W - m.r, y: row(dateRows - 1), "text-anchor": "end", class: "axis when", "font-size": size - 1 }, last));
  }
  if (scored.length > 1) svg.append(el("polyline", { points: scored.map((it) => `${x(it.i)},${y(it.score)}`).join(" "), class: "line learner" }));
  const showValues = n <= (small ? 8 : 14);
  for (const it of scored) {
    const dot = el("circle", { cx: x(it.i), cy: y(it.score), r: small ? 5 : 4.5, class: `dot ${band(it.score)}` });
    dot.append(el("title", {}, t("history_dot", { n: it.attempt, when: fmtWhen ? fmtWhen(it.when) : "", score: Math.round(it.score) })));
    svg.append(dot);
    if (showValues) svg.append(el("text", { x: x(it.i), y: y(it.score) - 8, "text-anchor": "middle", class: "value", "font-size": size - 1 }, String(Math.round(it.score))));
  }
  for (const it of items.map((v, i) => ({ ...v, i })).filter((v) => typeof v.score !== "number")) {
    svg.append(el("text", { x: x(it.i), y: bottom - 4, "text-anchor": "middle", class: "unscored", "font-size": size }, "×"));
  }
  return svg;
}
