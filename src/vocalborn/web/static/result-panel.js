// One analysis result opened in the learner's or the therapist's result panel.

import { api } from "./api.js";
import { analyticsInto } from "./analytics.js";
import { t } from "./i18n.js";
import { $, messageOf, play, sentenceById, state } from "./page.js";
import { h, resultView } from "./result.js";

export async function openResult(taskId, recordId, sentenceId, where) {
  const panel = where === "learner" ? $("result-panel") : $("t-result-panel");
  const box = where === "learner" ? $("result") : $("t-result");
  panel.hidden = false;
  box.replaceChildren(h("p", { class: "muted" }, t("loading")));
  try {
    const result = await api.get(`/tasks/analysis/${taskId}/result`);
    const entry = { result, recordId: recordId || result.practice_record_id, sentenceId };
    if (where === "learner") state.result = entry;
    else state.tResult = entry;
    renderResult(where);
    panel.querySelector("h2").focus({ preventScroll: true });
    panel.scrollIntoView({ block: "start" });
  } catch (exc) {
    box.replaceChildren(h("p", { class: "error" }, t("result_unavailable", { message: messageOf(exc) })));
  }
}

export function renderResult(where) {
  const entry = where === "learner" ? state.result : state.tResult;
  const box = where === "learner" ? $("result") : $("t-result");
  if (!entry) return;
  const sentence = sentenceById(entry.sentenceId);
  let view;
  const extra = where === "therapist" && entry.sentenceId ? h("div", { class: "sentence-analytics" }) : null;
  view = resultView(entry.result, {
    sentence,
    extra,
    // on a therapist's screen the recording is the client's: labels say their name
    learnerName: where === "therapist" && state.client ? state.client.name : null,
    onPlayMine: () => play(view.querySelector(".player"), `/practice/records/${entry.recordId}/audio`),
    onPlayReference: sentence && sentence.has_reference ? () => play(view.querySelector(".player"), `/practice/sentences/${sentence.sentence_id}/reference/audio`) : null,
  });
  box.replaceChildren(view);
  if (extra) analyticsInto(extra, `/analytics/sentences/${entry.sentenceId}`, "sentence_analytics");
}
