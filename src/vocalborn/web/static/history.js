// A learner's attempts, newest first, with their scores over time: the learner's own history
// and the one a therapist opens for a client.

import { api, NetworkError } from "./api.js";
import { scoreChart } from "./charts.js";
import { t } from "./i18n.js";
import { sentenceById } from "./page.js";
import { band, fmtScore, h } from "./result.js";
import { openResult } from "./result-panel.js";

export async function historyRows(userId) {
  const sessions = await api.get(`/practice/sessions${userId ? `?user_id=${userId}` : ""}`);
  const rows = [];
  for (const s of sessions) {
    for (const r of s.records || []) rows.push({ ...r, session_id: s.practice_session_id, task: null, result: null });
  }
  rows.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const shown = rows.slice(0, 50);
  const sessionIds = [...new Set(shown.filter((r) => r.ai_task_id).map((r) => r.session_id))];
  const tasks = {};
  await Promise.all(
    sessionIds.map(async (sid) => {
      try {
        const st = await api.get(`/tasks/analysis/session/${sid}/status`);
        for (const rec of st.records || []) if (rec.task) tasks[rec.practice_record_id] = rec.task;
      } catch (exc) {
        if (exc instanceof NetworkError) throw exc;
      }
    }),
  );
  await Promise.all(
    shown.map(async (r) => {
      r.task = tasks[r.practice_record_id] || null;
      if (r.task && r.task.status === "success") {
        try {
          r.result = await api.get(`/tasks/analysis/${r.task.task_id}/result`);
        } catch (exc) {
          if (exc instanceof NetworkError) throw exc;
        }
      }
    }),
  );
  return shown;
}

// onFollow(task, recordId, sentenceId): follow an unfinished attempt (the learner's own
// history only).
export function historyView(rows, where, onFollow = null) {
  if (!rows.length) return h("p", { class: "note" }, t("history_empty"));
  const scored = rows
    .filter((r) => r.result && typeof r.result.overall_score === "number")
    .map((r) => ({
      when: new Date(r.task.completed_at || r.result.created_at),
      score: r.result.overall_score,
      label: (sentenceById(r.sentence_id) || {}).text || "",
    }))
    .sort((a, b) => a.when - b.when);
  const list = h("ol", { class: "history" });
  for (const r of rows) {
    const sentence = sentenceById(r.sentence_id);
    const status = r.task ? t(`status_${r.task.status}`) : t(`record_${r.record_status}`);
    const score = r.result ? r.result.overall_score : null;
    const active = r.task && ["pending", "processing", "retry"].includes(r.task.status);
    list.append(
      h(
        "li",
        { class: "history-row", "data-record-id": r.practice_record_id },
        h("span", { class: "when" }, new Date(r.created_at).toLocaleString()),
        h("span", { class: "what", lang: sentence ? sentence.language : null }, sentence ? sentence.text : r.sentence_id.slice(0, 8)),
        h("span", { class: `status st-${r.task ? r.task.status : "none"}` }, status),
        h("span", { class: `score ${band(score)}`, title: t("history_score") }, fmtScore(score)),
        r.result
          ? h("button", { type: "button", class: "secondary small", onclick: () => openResult(r.task.task_id, r.practice_record_id, r.sentence_id, where) }, t("history_open"))
          : active && onFollow
            ? h("button", { type: "button", class: "secondary small", onclick: () => onFollow(r.task, r.practice_record_id, r.sentence_id) }, t("history_follow"))
            : h("span"),
      ),
    );
  }
  return h(
    "div",
    {},
    scored.length ? h("figure", { class: "score-over-time" }, h("figcaption", {}, t("history_chart")), scoreChart(scored)) : null,
    list,
  );
}
