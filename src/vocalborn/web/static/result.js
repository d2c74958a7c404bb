// Renders one analysis result for a learner: score cards with a short encouraging line,
// intelligibility, the sentence with its flagged words explained (result-sentence.js), the pitch
// plot, suggestions and improvement areas; the numbers and model details for therapists sit in
// a closed "details" part (result-details.js). Missing parts degrade to a note.

import { pitchPlot } from "./charts.js";
import { formatDateTime } from "./format.js";
import { lang, otherLang, t } from "./i18n.js";
import { detailsView } from "./result-details.js";
import { sentenceView } from "./result-sentence.js";

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

export function localised(entry) {
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

/**
 * How much of the sentence a listener understood without being told it: the score, what it is
 * measured against, and the transcript heard; or why it was not assessed. Results from before
 * the second listener have neither, and show nothing.
 */
function intelligibilityView(intel, reasonEntry, language) {
  if (!intel && !reasonEntry) return null;
  const title = h("h3", {}, t("intelligibility_title"));
  if (!intel || typeof intel.score !== "number") {
    const [reason] = localised(reasonEntry);
    return h("section", { class: "card intelligibility na", "data-intelligibility": "not_assessed" }, title, h("p", { class: "score-reason" }, `${t("not_assessed")}${reason ? `${t("colon")}${reason}` : ""}`));
  }
  const [basis, other] = localised(intel.basis);
  return h(
    "section",
    { class: `card intelligibility ${band(intel.score)}`, "data-intelligibility": "scored" },
    title,
    h(
      "p",
      { class: "intel-line" },
      h("strong", { class: "intel-score", "aria-label": `${t("intelligibility_title")} ${fmtScore(intel.score)}` }, fmtScore(intel.score)),
      basis ? h("span", { class: "intel-basis", title: other || null }, ` — ${basis}`) : null,
    ),
    h("span", { class: "meter", "aria-hidden": "true" }, h("span", { style: `width:${Math.max(0, Math.min(100, intel.score))}%` })),
    h("p", { class: "intel-heard" }, intel.heard ? [t("intelligibility_heard"), h("q", { lang: language || null }, intel.heard)] : t("intelligibility_heard_none")),
  );
}

function cheerView(overall) {
  if (typeof overall !== "number") return null;
  const key = overall >= 80 ? "cheer_good" : overall >= 60 ? "cheer_fair" : "cheer_poor";
  return h("p", { class: `cheer ${band(overall)}` }, t(key));
}

/**
 * The result view. `ctx` = {sentence, onPlayMine, onPlayReference, extra: Node|null,
 * learnerName: the learner's name on a therapist's screen (else the labels say "your")}.
 */
export function resultView(result, ctx = {}) {
  const na = result.not_assessed || {};
  const detailed = result.detailed_analysis || {};
  const plot = pitchPlot(detailed.pitch_analysis, result.sentence_analyses, { learner: ctx.learnerName });
  const when = result.completed_at || result.created_at;
  const first = Array.isArray(result.sentence_analyses) ? result.sentence_analyses[0] : null;
  const language = (first && first.language) || (ctx.sentence && ctx.sentence.language);
  const head = h(
    "div",
    { class: "result-head" },
    ctx.sentence ? h("p", { class: "result-sentence", lang: ctx.sentence.language }, ctx.sentence.text) : null,
    when ? h("p", { class: "muted when" }, h("time", { datetime: when }, formatDateTime(when))) : null,
    h(
      "div",
      { class: "row" },
      ctx.onPlayMine ? h("button", { type: "button", class: "secondary", onclick: ctx.onPlayMine }, ctx.learnerName ? t("play_learner", { name: ctx.learnerName }) : t("play_mine")) : null,
      ctx.onPlayReference ? h("button", { type: "button", class: "secondary", onclick: ctx.onPlayReference }, t("play_reference")) : null,
    ),
    h("div", { class: "player" }),
  );
  return h(
    "div",
    { class: "result", "data-task-id": result.task_id },
    head,
    h("div", { class: "scores" }, SCORES.map(([k, label]) => scoreCard(k, label, result[k], na[k]))),
    cheerView(result.overall_score),
    intelligibilityView(detailed.intelligibility, na.intelligibility, language),
    h("section", { class: "card" }, h("h3", {}, t("sentence_title")), sentenceView(result.sentence_analyses)),
    h("section", { class: "card" }, h("h3", {}, t("pitch_title")), plot || h("p", { class: "note pitch-none" }, t("pitch_none"))),
    h("div", { class: "two-col" }, h("section", { class: "card" }, h("h3", {}, t("suggestions_title")), suggestionsView(result.suggestions)), h("section", { class: "card" }, h("h3", {}, t("areas_title")), areasView(result.improvement_areas))),
    ctx.extra || null,
    detailsView(result),
  );
}
