// Renders one analysis result: score cards, the coloured sentence, the pitch plot, suggestions,
// improvement areas and the notes on what was not assessed. Missing parts degrade to a note.

import { pitchPlot } from "./charts.js";
import { lang, otherLang, t, has } from "./i18n.js";

export const SCORES = [
  ["overall_score", "score_overall"],
  ["pronunciation_accuracy", "score_pronunciation"],
  ["fluency_score", "score_fluency"],
  ["rhythm_score", "score_rhythm"],
];

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function band(score) {
  if (typeof score !== "number") return "na";
  if (score >= 80) return "good";
  if (score >= 60) return "fair";
  return "poor";
}

export function fmtScore(score) {
  return typeof score === "number" ? String(Math.round(score)) : "—";
}

function scoreCard(key, label, score, reasonEntry) {
  const assessed = typeof score === "number";
  const [reason] = localised(reasonEntry); // {"zh-TW", "en"}, or a plain string from older results
  return h(
    "div",
    { class: `score-card ${band(score)}`, "data-score": key, title: assessed ? null : reason || t("not_assessed") },
    h("div", { class: "score-label" }, t(label)),
    h("div", { class: "score-value", "aria-label": assessed ? `${t(label)} ${fmtScore(score)}` : `${t(label)}: ${t("not_assessed")}` }, fmtScore(score)),
    assessed
      ? h("div", { class: "meter", "aria-hidden": "true" }, h("span", { style: `width:${Math.max(0, Math.min(100, score))}%` }))
      : h("div", { class: "score-reason" }, `${t("not_assessed")}${reason ? `: ${reason}` : ""}`),
  );
}

function itemClass(it) {
  const status = it.status || "";
  if (status === "missing") return "missing";
  if (status === "extra") return "extra";
  if (status === "wrong_tone") return "wrong-tone";
  if (status === "not_assessed" || typeof it.score !== "number") return "na";
  return band(it.score);
}

function itemLabel(it) {
  if (it.label) return it.label;
  if (it.word) return it.word;
  if (Array.isArray(it.heard_phones) && it.heard_phones.length) return `(${it.heard_phones.join(" ")})`;
  return "…";
}

function itemTitle(it) {
  const parts = [];
  if (it.pinyin) parts.push(it.pinyin);
  if (it.status) parts.push(has(`status_${it.status}`) ? t(`status_${it.status}`) : it.status);
  if (typeof it.score === "number") parts.push(t("word_score", { score: fmtScore(it.score) }));
  if (it.tone_expected) parts.push(t("tone_expected", { tone: it.tone_expected }));
  if (it.tone_heard && it.tone_heard !== it.tone_expected) parts.push(t("tone_heard", { tone: it.tone_heard }));
  return parts.join(" · ");
}

function sentenceView(analyses) {
  const box = h("div", { class: "sentences" });
  const list = Array.isArray(analyses) ? analyses : [];
  let any = false;
  for (const sa of list) {
    const items = Array.isArray(sa && sa.items) ? sa.items : [];
    if (!items.length) {
      if (sa && sa.text) box.append(h("p", { class: "sentence plain", lang: sa.language || null }, sa.text));
      continue;
    }
    any = true;
    const line = h("p", { class: "sentence", lang: sa.language || null });
    items.forEach((it) => {
      const title = itemTitle(it);
      line.append(
        h(
          "span",
          { class: `item ${itemClass(it)}`, title, tabindex: "0", "aria-label": `${itemLabel(it)}: ${title}`, "data-status": it.status || "" },
          h("span", { class: "item-text" }, itemLabel(it)),
          it.pinyin ? h("small", { class: "pinyin" }, it.pinyin) : null,
        ),
        sa.language === "en" ? " " : "",
      );
    });
    box.append(line);
  }
  if (!any) box.append(h("p", { class: "note" }, t("no_items")));
  else {
    const legend = h("ul", { class: "legend-list" });
    for (const [cls, key] of [["good", "legend_good"], ["fair", "legend_fair"], ["poor", "legend_poor"], ["wrong-tone", "legend_wrong_tone"], ["missing", "legend_missing"], ["na", "legend_na"]]) {
      legend.append(h("li", {}, h("span", { class: `swatch item ${cls}`, "aria-hidden": "true" }, "字"), t(key)));
    }
    box.append(legend);
  }
  return box;
}

function localised(entry) {
  if (!entry || typeof entry !== "object") return [String(entry ?? ""), ""];
  return [entry[lang()] || entry.en || entry["zh-TW"] || "", entry[otherLang()] || ""];
}

function suggestionsView(suggestions) {
  const list = Array.isArray(suggestions) ? suggestions : [];
  if (!list.length) return h("p", { class: "note" }, t("no_suggestions"));
  return h(
    "ul",
    { class: "suggestions" },
    list.map((s) => {
      const [text, other] = localised(s);
      return h("li", { title: other || null, lang: lang() }, text);
    }),
  );
}

function areasView(areas) {
  const list = Array.isArray(areas) ? areas : [];
  if (!list.length) return h("p", { class: "note" }, t("no_areas"));
  return h(
    "ul",
    { class: "areas" },
    list.map((a) => {
      const [name, other] = localised(a);
      const score = typeof a.score === "number" ? a.score : null;
      return h(
        "li",
        { class: band(score), title: other || null },
        h("span", { class: "area-name" }, name || a.area || ""),
        score !== null ? h("span", { class: "meter", "aria-hidden": "true" }, h("span", { style: `width:${score}%` })) : null,
        h("span", { class: "area-score" }, fmtScore(score)),
      );
    }),
  );
}

function notesView(notAssessed) {
  const main = new Set(SCORES.map(([k]) => k));
  const rest = Object.entries(notAssessed || {}).filter(([k]) => !main.has(k));
  if (!rest.length) return null;
  return h(
    "section",
    { class: "card notes" },
    h("h3", {}, t("other_notes")),
    h(
      "ul",
      {},
      rest.map(([k, v]) => {
        const [text, other] = localised(v);
        const label = has(`na_${k}`) ? t(`na_${k}`) : k.replace(/_/g, " ");
        return h("li", { "data-note": k, title: other || null }, h("strong", {}, label), `${t("colon")}${text}`);
      }),
    ),
  );
}

/**
 * The result view. `ctx` = {sentence, onPlayMine, onPlayReference, extra: Node|null}.
 */
export function resultView(result, ctx = {}) {
  const na = result.not_assessed || {};
  const detailed = result.detailed_analysis || {};
  const plot = pitchPlot(detailed.pitch_analysis);
  const when = result.completed_at || result.created_at;
  const head = h(
    "div",
    { class: "result-head" },
    ctx.sentence ? h("p", { class: "result-sentence", lang: ctx.sentence.language }, ctx.sentence.text) : null,
    when ? h("p", { class: "muted" }, new Date(when).toLocaleString()) : null,
    h(
      "div",
      { class: "row" },
      ctx.onPlayMine ? h("button", { type: "button", class: "secondary", onclick: ctx.onPlayMine }, t("play_mine")) : null,
      ctx.onPlayReference ? h("button", { type: "button", class: "secondary", onclick: ctx.onPlayReference }, t("play_reference")) : null,
    ),
    h("div", { class: "player" }),
  );
  return h(
    "div",
    { class: "result", "data-task-id": result.task_id },
    head,
    h("div", { class: "scores" }, SCORES.map(([k, label]) => scoreCard(k, label, result[k], na[k]))),
    h("section", { class: "card" }, h("h3", {}, t("sentence_title")), sentenceView(result.sentence_analyses)),
    h("section", { class: "card" }, h("h3", {}, t("pitch_title")), plot || h("p", { class: "note pitch-none" }, t("pitch_none"))),
    h("div", { class: "two-col" }, h("section", { class: "card" }, h("h3", {}, t("suggestions_title")), suggestionsView(result.suggestions)), h("section", { class: "card" }, h("h3", {}, t("areas_title")), areasView(result.improvement_areas))),
    notesView(na),
    ctx.extra || null,
    h(
      "p",
      { class: "muted small" },
      typeof result.processing_time_seconds === "number" ? t("processing_time", { s: result.processing_time_seconds.toFixed(1) }) : "",
      result.analysis_model_version ? ` · ${t("model_version", { v: result.analysis_model_version })}` : "",
    ),
  );
}
