// A learner's attempts and their scores over time, from one request (GET /practice/history):
// a section per language, in it a card per sentence with a small chart of its attempts' overall
// scores and the attempts, newest first. The learner's own history and the one a therapist
// opens for a client. Dates and times in the page's language, Taipei time.

import { api } from "./api.js";
import { scoreChart } from "./charts.js";
import { lang, t } from "./i18n.js";
import { band, fmtScore, h } from "./result.js";
import { openResult } from "./result-panel.js";

const ZONE = "Asia/Taipei";
const SHOWN = 5; // attempts listed before "show all"
const ACTIVE = ["pending", "processing", "retry"];
const SUB_SCORES = [
  ["pronunciation_accuracy", "score_pronunciation"],
  ["fluency_score", "score_fluency"],
  ["rhythm_score", "score_rhythm"],
];

/** The history of `userId` (a therapist's client), or the caller's own: one request. */
export async function historyRows(userId) {
  return api.get(`/practice/history${userId ? `?user_id=${encodeURIComponent(userId)}` : ""}`);
}

/** "3月12日 09:30" / "Mar 12, 09:30" (with the year when it is not this year's), Taipei time. */
export function fmtWhen(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const locale = lang() === "zh-TW" ? "zh-TW" : "en";
  const year = (d) => new Intl.DateTimeFormat("en", { timeZone: ZONE, year: "numeric" }).format(d);
  const opts = { timeZone: ZONE, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (year(when) !== year(new Date())) opts.year = "numeric";
  return new Intl.DateTimeFormat(locale, opts).format(when);
}

function statusOf(a) {
  return a.task ? t(`status_${a.task.status}`) : t(`record_${a.record_status}`);
}

function attemptRow(a, sentence, where, onFollow) {
  const score = a.scores ? a.scores.overall_score : null;
  const active = a.task && ACTIVE.includes(a.task.status);
  const subs = a.scores
    ? SUB_SCORES.map(([k, label]) => `${t(label)} ${fmtScore(a.scores[k])}`).join(" · ")
    : "";
  let action = h("span");
  if (a.scores && a.task) {
    action = h("button", { type: "button", class: "secondary small", onclick: () => openResult(a.task.task_id, a.practice_record_id, sentence.sentence_id, where) }, t("history_open"));
  } else if (active && onFollow) {
    action = h("button", { type: "button", class: "secondary small", onclick: () => onFollow(a.task, a.practice_record_id, sentence.sentence_id) }, t("history_follow"));
  }
  return h(
    "li",
    { class: "history-row", "data-record-id": a.practice_record_id, "data-attempt": a.attempt },
    h("span", { class: "attempt-no" }, t("history_attempt_n", { n: a.attempt })),
    h("time", { class: "when", datetime: a.created_at }, fmtWhen(a.created_at)),
    h("span", { class: `status st-${a.task ? a.task.status : "none"}` }, statusOf(a)),
    h("span", { class: `score ${band(score)}`, "aria-label": `${t("history_score")} ${fmtScore(score)}` }, fmtScore(score)),
    action,
    subs ? h("span", { class: "subs muted small" }, subs) : null,
  );
}

function sentenceCard(s, where, onFollow) {
  const attempts = s.attempts;
  const scored = attempts.filter((a) => a.scores && typeof a.scores.overall_score === "number");
  const latest = scored.length ? scored[scored.length - 1].scores.overall_score : null;
  const best = scored.length ? Math.max(...scored.map((a) => a.scores.overall_score)) : null;
  const newest = [...attempts].reverse();
  const list = (rows) => h("ol", { class: "history" }, rows.map((a) => attemptRow(a, s, where, onFollow)));
  const summary = [
    attempts.length === 1 ? t("history_attempts_one") : t("history_attempts", { n: attempts.length }),
    latest !== null ? t("history_latest", { score: fmtScore(latest) }) : null,
    best !== null && scored.length > 1 ? t("history_best", { score: fmtScore(best) }) : null,
  ].filter(Boolean);
  const chart = scored.length
    ? h(
        "figure",
        { class: "score-over-time" },
        h("figcaption", {}, t("history_chart_caption")),
        scoreChart(
          attempts.map((a) => ({ attempt: a.attempt, when: a.created_at, score: a.scores ? a.scores.overall_score : null })),
          { fmtWhen, label: s.text },
        ),
      )
    : h("p", { class: "note" }, t("history_no_scores"));
  return h(
    "article",
    { class: "history-sentence", "data-sentence-id": s.sentence_id, "data-language": s.language },
    h("h4", { class: "history-text", lang: s.language }, s.text),
    h("p", { class: "muted small history-summary" }, summary.join(" · ")),
    chart,
    list(newest.slice(0, SHOWN)),
    newest.length > SHOWN
      ? h("details", { class: "history-more" }, h("summary", {}, t("history_more", { n: newest.length })), list(newest.slice(SHOWN)))
      : null,
  );
}

/**
 * The history view of a `GET /practice/history` answer. onFollow(task, recordId, sentenceId):
 * follow an unfinished attempt (the learner's own history only).
 */
export function historyView(history, where, onFollow = null) {
  const sentences = (history && history.sentences) || [];
  if (!sentences.length) return h("p", { class: "note" }, t("history_empty"));
  const sections = ["zh-TW", "en"].map((language) => {
    const mine = sentences.filter((s) => s.language === language);
    if (!mine.length) return null;
    return h(
      "section",
      { class: "history-lang", "data-language": language },
      h("h3", {}, t(language === "en" ? "history_lang_en" : "history_lang_zh")),
      h("div", { class: "history-sentences" }, mine.map((s) => sentenceCard(s, where, onFollow))),
    );
  });
  return h(
    "div",
    { class: "history-view" },
    h("p", { class: "muted small history-zone" }, t("history_zone")),
    sections,
    history.truncated ? h("p", { class: "note" }, t("history_truncated", { n: history.attempt_count })) : null,
  );
}
