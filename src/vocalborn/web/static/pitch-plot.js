// The pitch plot of a result: the learner's and the reference's pitch in semitones from each
// speaker's own median (so a child's curve and an adult's sit on one scale), the learner's
// curve time-aligned to the reference unit by unit (the analyser's per-word/per-syllable spans
// of both recordings; reports from before `reference_start` are stretched proportionally), the
// words or syllables under the curve, and, for Mandarin, each syllable's expected tone shape
// drawn lightly behind it. Narrow screens get a narrower drawing with larger text.

import { t } from "./i18n.js";
import { compact, el, flow, pathOf, textWidth, ticks } from "./svg.js";

// Expected tone shapes in Chao tone letters (1 low .. 5 high) at relative times in the syllable.
const TONE_SHAPES = {
  1: [[0, 5], [1, 5]],
  2: [[0, 3], [1, 5]],
  3: [[0, 2], [0.45, 1], [1, 4]],
  4: [[0, 5], [1, 1]],
  5: [[0, 3], [0.35, 2]], // neutral: short
};
const CHAO_ST = 2.5; // semitones per tone letter around the speaker's median (letter 3)
let clipSeq = 0;

const num = (v) => typeof v === "number" && Number.isFinite(v);

/** [[time, hz] | null] per contour point (null: unvoiced, a break in the line). */
function points(contour) {
  if (!contour || !Array.isArray(contour.times) || !Array.isArray(contour.f0_hz)) return [];
  return contour.times.map((time, i) => {
    const f = contour.f0_hz[i];
    return num(time) && num(f) && f > 0 ? [time, f] : null;
  });
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Points in semitones re the speaker's median (the report's, else the contour's own). */
function semitones(pts, medianHz) {
  const voiced = pts.filter(Boolean);
  const med = num(medianHz) && medianHz > 0 ? medianHz : median(voiced.map((p) => p[1]));
  return pts.map((p) => (p ? [p[0], 12 * Math.log2(p[1] / med)] : null));
}

/** The expected units of a result (words or syllables, inserted words left out). */
export function unitsOf(sentences) {
  const first = Array.isArray(sentences) ? sentences[0] : null;
  const items = first && Array.isArray(first.items) ? first.items : [];
  return items
    .filter((it) => it && it.status !== "extra")
    .map((it) => ({
      label: it.label || it.word || "",
      tone: num(it.tone_expected) ? it.tone_expected : null,
      start: num(it.start) ? it.start : null,
      end: num(it.end) ? it.end : null,
      rs: num(it.reference_start) ? it.reference_start : null,
      re: num(it.reference_end) ? it.reference_end : null,
    }));
}

/** (learner time, reference time) pairs from units timed in both, forward in both. */
export function anchorsOf(units) {
  const out = [];
  for (const u of units) {
    if (u.start === null || u.end === null || u.rs === null || u.re === null) continue;
    for (const pair of [[u.start, u.rs], [u.end, u.re]]) {
      const last = out[out.length - 1];
      if (!last || (pair[0] > last[0] && pair[1] >= last[1])) out.push(pair);
    }
  }
  return out;
}

/** Piecewise-linear learner -> reference time through the anchors; slope 1 outside them. */
export function warpBy(anchors) {
  return (time) => {
    const first = anchors[0];
    const last = anchors[anchors.length - 1];
    if (time <= first[0]) return first[1] + (time - first[0]);
    if (time >= last[0]) return last[1] + (time - last[0]);
    let k = 1;
    while (anchors[k][0] < time) k += 1;
    const [l0, r0] = anchors[k - 1];
    const [l1, r1] = anchors[k];
    return r0 + ((time - l0) / (l1 - l0)) * (r1 - r0);
  };
}

function voicedSpan(pts) {
  const v = pts.filter(Boolean).map((p) => p[0]);
  return v.length ? [Math.min(...v), Math.max(...v)] : null;
}

/** How the learner's times map onto the x axis: {mode, warp, span(unit)}. */
function alignment(learner, reference, units) {
  const ownSpan = (u) => (u.start !== null && u.end !== null ? [u.start, u.end] : null);
  if (!reference.some(Boolean)) return { mode: "none", warp: (x) => x, span: ownSpan };
  const anchors = anchorsOf(units);
  if (anchors.length >= 2) {
    const warp = warpBy(anchors);
    const span = (u) => (u.rs !== null && u.re !== null ? [u.rs, u.re] : u.start !== null && u.end !== null ? [warp(u.start), warp(u.end)] : null);
    return { mode: "units", warp, span };
  }
  const l = voicedSpan(learner);
  const r = voicedSpan(reference);
  if (!l || !r || l[1] - l[0] < 1e-6) return { mode: "none", warp: (x) => x, span: ownSpan };
  const k = (r[1] - r[0]) / (l[1] - l[0]);
  const warp = (x) => r[0] + (x - l[0]) * k;
  return { mode: "proportional", warp, span: (u) => (u.start !== null && u.end !== null ? [warp(u.start), warp(u.end)] : null) };
}

function legendOf(svg, entries, width, size, top) {
  const widths = entries.map((e) => 30 + textWidth(e.text, size));
  const places = flow(widths, width);
  const g = el("g", { class: "legend" });
  entries.forEach((e, i) => {
    const { x, row } = places[i];
    const y = top + row * (size + 7);
    g.append(el("line", { x1: x, x2: x + 24, y1: y - size * 0.35, y2: y - size * 0.35, class: e.cls }));
    g.append(el("text", { x: x + 30, y, "font-size": size }, e.text));
  });
  svg.append(g);
  return Math.max(...places.map((p) => p.row)) + 1;
}

/**
 * The pitch plot, or null when neither contour has a voiced point. `sentences` is the result's
 * `sentence_analyses` (units and their times); `opts.learner` names the learner's curve (a
 * therapist's screen), else "you".
 */
export function pitchPlot(pitch, sentences = null, opts = {}) {
  const rawLearner = points(pitch && pitch.contour);
  const rawReference = points(pitch && pitch.reference && pitch.reference.contour);
  if (![...rawLearner, ...rawReference].some(Boolean)) return null;
  const units = unitsOf(sentences);
  const align = alignment(rawLearner, rawReference, units);
  const learner = semitones(rawLearner, pitch && pitch.f0_median_hz).map((p) => (p ? [align.warp(p[0]), p[1]] : null));
  const reference = semitones(rawReference, pitch && pitch.reference && pitch.reference.f0_median_hz);
  const hasRef = reference.some(Boolean);
  const mandarin = units.some((u) => u.tone !== null);
  const spans = units.map((u) => align.span(u));

  const small = compact();
  const size = small ? 13 : 12;
  const W = small ? Math.max(280, Math.min(340, window.innerWidth - 70)) : 640;
  const m = { l: small ? 34 : 44, r: 10 };

  // x: the voiced time (on the reference's clock when aligned), with the units' spans
  const xs = [...learner, ...reference].filter(Boolean).map((p) => p[0]);
  for (const s of spans) if (s) xs.push(s[0], s[1]);
  let tLo = Math.min(...xs);
  let tHi = Math.max(...xs);
  const pad = Math.max(0.05, (tHi - tLo) * 0.03);
  tLo = Math.max(tLo - pad, Math.min(tLo, 0));
  tHi += pad;
  // y: symmetric semitones around each speaker's median; outliers are clipped
  const mags = [...learner, ...reference].filter(Boolean).map((p) => Math.abs(p[1])).sort((a, b) => a - b);
  const typical = mags.length ? mags[Math.min(mags.length - 1, Math.floor(mags.length * 0.98))] : 6;
  const R = Math.min(12, Math.max(6, Math.ceil(typical / 3) * 3));

  const desc = opts.learner ? t("pitch_desc_named", { name: opts.learner }) : t("pitch_desc_st");
  const svg = el("svg", {
    class: "chart pitch-plot",
    role: "img",
    "aria-label": desc,
    "data-learner-points": learner.filter(Boolean).length,
    "data-reference-points": reference.filter(Boolean).length,
    "data-aligned": align.mode,
    "data-semitone-range": R,
  });
  svg.append(el("title", {}, desc));
  const entries = [{ text: opts.learner || t("pitch_learner"), cls: "line learner" }];
  if (hasRef) entries.push({ text: t("pitch_reference"), cls: "line reference" });
  if (mandarin) entries.push({ text: t("pitch_tone_shape"), cls: "tone-shape" });
  const legendRows = legendOf(svg, entries, W - m.l - m.r, size, 4 + size);
  m.t = 10 + legendRows * (size + 7);

  // unit labels: one row, or two alternating rows when neighbours would overlap
  const plotH = small ? 150 : 190;
  const x = (v) => m.l + ((v - tLo) / (tHi - tLo)) * (W - m.l - m.r);
  const labelled = units.map((u, i) => ({ u, s: spans[i] })).filter((e) => e.s && e.u.label);
  const centres = labelled.map((e) => x((e.s[0] + e.s[1]) / 2));
  const halfW = labelled.map((e) => textWidth(e.u.label, size) / 2);
  const crowded = centres.some((c, i) => i > 0 && centres[i - 1] + halfW[i - 1] + 3 > c - halfW[i]);
  const labelRows = labelled.length ? (crowded ? 2 : 1) : 0;
  const rowH = size + 4;
  m.b = 8 + labelRows * rowH + 2 * (size + 5);
  const H = m.t + plotH + m.b;
  const bottom = m.t + plotH;
  const y = (v) => m.t + ((R - v) / (2 * R)) * plotH;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);

  const clipId = `pitch-clip-${++clipSeq}`;
  const defs = el("defs");
  const clip = el("clipPath", { id: clipId });
  clip.append(el("rect", { x: m.l, y: m.t, width: W - m.l - m.r, height: plotH }));
  defs.append(clip);
  svg.append(defs);

  // units: light bands, tone shapes behind the curves, labels under the plot
  const unitLayer = el("g", { class: "units", "clip-path": `url(#${clipId})` });
  labelled.forEach((e, i) => {
    const [s0, s1] = e.s;
    if (i % 2 === 0) unitLayer.append(el("rect", { x: x(s0), y: m.t, width: Math.max(0, x(s1) - x(s0)), height: plotH, class: "unit-band" }));
    unitLayer.append(el("line", { x1: x(s0), x2: x(s0), y1: m.t, y2: bottom, class: "unit-edge" }));
    const shape = e.u.tone !== null ? TONE_SHAPES[e.u.tone] : null;
    if (shape) {
      const at = (rel) => s0 + (0.1 + 0.8 * rel) * (s1 - s0);
      const pts = shape.map(([rel, chao]) => `${x(at(rel)).toFixed(1)},${y((chao - 3) * CHAO_ST).toFixed(1)}`).join(" ");
      unitLayer.append(el("polyline", { points: pts, class: "tone-shape", "data-tone": e.u.tone }));
    }
  });
  svg.append(unitLayer);

  const grid = el("g", { class: "grid" });
  const step = R > 9 || (small && R > 6) ? 6 : 3;
  for (let v = -R; v <= R; v += step) {
    grid.append(el("line", { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: v === 0 ? "zero" : null }));
    const label = v > 0 ? `+${v}` : v < 0 ? `\u2212${-v}` : "0";
    grid.append(el("text", { x: m.l - 5, y: y(v) + size * 0.35, "text-anchor": "end", "font-size": size }, label));
  }
  const timeRow = bottom + 8 + labelRows * rowH + size;
  for (const s of ticks(tLo, tHi, small ? 3 : 6).filter((v) => v >= 0)) {
    grid.append(el("line", { x1: x(s), x2: x(s), y1: bottom, y2: bottom + 4, class: "v" }));
    grid.append(el("text", { x: x(s), y: timeRow, "text-anchor": "middle", "font-size": size - 1 }, String(s)));
  }
  svg.append(grid);

  const labels = el("g", { class: "unit-labels" });
  labelled.forEach((e, i) => {
    const row = crowded ? i % 2 : 0;
    labels.append(el("text", { x: centres[i], y: bottom + 4 + size + row * rowH, "text-anchor": "middle", "font-size": size, class: "unit-label" }, e.u.label));
  });
  svg.append(labels);

  svg.append(el("text", { x: (W + m.l) / 2, y: H - 5, "text-anchor": "middle", class: "axis", "font-size": size - 1 }, t(align.mode === "none" ? "pitch_axis_x" : "pitch_axis_time_ref")));
  const mid = m.t + plotH / 2;
  svg.append(el("text", { x: 11, y: mid, transform: `rotate(-90 11 ${mid})`, "text-anchor": "middle", class: "axis", "font-size": size - 1 }, t("pitch_axis_st")));

  const lines = el("g", { "clip-path": `url(#${clipId})` });
  if (hasRef) lines.append(el("path", { d: pathOf(reference, x, y), class: "line reference" }));
  if (learner.some(Boolean)) lines.append(el("path", { d: pathOf(learner, x, y), class: "line learner" }));
  svg.append(lines);
  svg.setAttribute("data-units", labelled.length);

  const notes = [t("pitch_note_st")];
  if (align.mode === "units") notes.push(t("pitch_note_units"));
  if (align.mode === "proportional") notes.push(t("pitch_note_proportional"));
  const figure = document.createElement("div");
  figure.className = "pitch-figure";
  const note = document.createElement("p");
  note.className = "pitch-note muted small";
  note.textContent = notes.join(" ");
  figure.append(svg, note);
  return figure;
}
