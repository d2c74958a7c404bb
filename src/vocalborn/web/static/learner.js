// The learner's view: choose a sentence, record or upload, submit, follow the analysis live,
// read the result, and the history of attempts.

import { api, ApiError, NetworkError } from "./api.js";
import { historyRows, historyView } from "./history.js";
import { t } from "./i18n.js";
import { $, messageOf, play, setError, showBanner, state } from "./page.js";
import { TaskFollower } from "./progress.js";
import { spelled } from "./reading.js";
import { renderProgress } from "./progress-panel.js";
import { toggleRecording } from "./recorder.js";
import { h } from "./result.js";
import { openResult } from "./result-panel.js";

// --- sentences -----------------------------------------------------------------------------

export async function loadSentences() {
  state.sentences = await api.get("/practice/sentences");
  if (!state.sentences.some((s) => s.sentence_id === state.sentenceId)) state.sentenceId = null;
  renderSentences();
}

export function renderSentences() {
  const box = $("sentences");
  box.replaceChildren();
  if (!state.sentences.length) {
    box.append(h("p", { class: "note" }, t("no_sentences")));
    return;
  }
  for (const s of state.sentences) {
    const id = `sentence-${s.sentence_id}`;
    box.append(
      h(
        "div",
        { class: "sentence-option" },
        h("input", {
          type: "radio", name: "sentence", id, value: s.sentence_id,
          checked: s.sentence_id === state.sentenceId,
          onchange: () => {
            state.sentenceId = s.sentence_id;
            setError("submit-error", "");
          },
        }),
        h(
          "label",
          { for: id },
          h("span", { class: "sentence-text", lang: s.language }, s.text),
          readingLine(s),
          h("span", { class: "tag" }, t(s.language === "en" ? "language_en" : "language_zh")),
          s.has_reference ? h("span", { class: "tag ref" }, t("has_reference")) : null,
        ),
        s.has_reference
          ? h("button", { type: "button", class: "secondary small", onclick: () => play($("ref-player"), `/practice/sentences/${s.sentence_id}/reference/audio`) }, t("play_reference"))
          : null,
      ),
    );
  }
}

/** A Mandarin sentence's Zhuyin (or tone-mark pinyin), shown under it before recording. */
function readingLine(s) {
  const spellings = Array.isArray(s.readings) ? s.readings.map((r) => spelled(r)).filter(Boolean) : [];
  return spellings.length ? h("span", { class: "sentence-reading", "aria-hidden": "true" }, spellings.join(" ")) : null;
}

// --- submit --------------------------------------------------------------------------------

async function ensureSession(sentenceId) {
  // One session per sitting; a second attempt at the same sentence starts a new session so the
  // earlier attempt stays in the history instead of being replaced.
  if (!state.sessionId || state.sessionSentences.has(sentenceId)) {
    const created = await api.post("/practice/sessions", {});
    state.sessionId = created.practice_session_id;
    state.sessionSentences = new Set();
  }
  state.sessionSentences.add(sentenceId);
  return state.sessionId;
}

async function submit() {
  setError("submit-error", "");
  const sentenceId = state.sentenceId;
  if (!sentenceId) return setError("submit-error", t("need_sentence"));
  const file = $("file").files[0];
  const audio = file
    ? { blob: file, name: file.name }
    : state.recorded
      ? { blob: state.recorded.blob, name: `recording.${state.recorded.ext}` }
      : null;
  if (!audio) return setError("submit-error", t("need_audio"));
  const btn = $("submit-btn");
  btn.disabled = true;
  btn.setAttribute("aria-busy", "true");
  try {
    btn.textContent = t("uploading");
    const sessionId = await ensureSession(sentenceId);
    const form = new FormData();
    form.append("file", audio.blob, audio.name);
    let uploaded;
    try {
      uploaded = await api.put(`/practice/sessions/${sessionId}/recordings/${sentenceId}`, form);
    } catch (exc) {
      state.sessionSentences.delete(sentenceId);
      throw new Error(exc instanceof NetworkError ? t("server_down") : t("upload_failed", { message: messageOf(exc) }));
    }
    btn.textContent = t("submitting");
    let task;
    try {
      task = await api.post("/tasks/analysis/submit", { practice_record_id: uploaded.practice_record_id });
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 409 && exc.body && exc.body.task_id) {
        task = { task_id: exc.body.task_id, status: exc.body.status || "pending" };
      } else {
        throw new Error(exc instanceof NetworkError ? t("server_down") : t("submit_failed", { message: messageOf(exc) }));
      }
    }
    follow(task, uploaded.practice_record_id, sentenceId);
    loadHistory().catch(() => {});
  } catch (exc) {
    setError("submit-error", exc.message);
  } finally {
    btn.disabled = false;
    btn.removeAttribute("aria-busy");
    btn.textContent = t("submit_btn");
  }
}

// --- live progress -------------------------------------------------------------------------

function follow(submitted, recordId, sentenceId) {
  if (state.follower) state.follower.stop();
  state.task = {
    taskId: submitted.task_id,
    recordId,
    sentenceId,
    mode: null,
    state: { status: submitted.status || "pending", progress: submitted.progress || 0, queue_position: submitted.queue_position },
  };
  $("progress-panel").hidden = false;
  $("result-panel").hidden = true;
  renderProgress();
  const follower = new TaskFollower(submitted.task_id, {
    onUpdate: (s, mode) => {
      if (state.follower !== follower) return;
      state.task.state = s;
      state.task.mode = mode;
      renderProgress();
    },
    onDone: (s) => finished(follower, s),
    onNetwork: (exc) => showBanner(messageOf(exc), exc instanceof NetworkError),
  });
  state.follower = follower;
  follower.start();
  $("progress-panel").scrollIntoView({ block: "nearest" });
}

async function finished(follower, s) {
  if (state.follower !== follower) return;
  state.follower = null;
  state.task.state = s;
  renderProgress();
  if (s.status === "success") {
    await openResult(state.task.taskId, state.task.recordId, state.task.sentenceId, "learner");
  }
  loadHistory().catch(() => {});
}

async function cancelTask() {
  const task = state.task;
  if (!task) return;
  try {
    const out = await api.post(`/tasks/analysis/${task.taskId}/cancel`, {});
    if (state.follower) state.follower.apply({ status: out.status });
  } catch (exc) {
    setError("progress-error", messageOf(exc));
  }
}

async function retryTask() {
  const task = state.task;
  if (!task) return;
  try {
    const out = await api.post(`/tasks/analysis/${task.taskId}/retry`, {});
    follow(out, task.recordId, task.sentenceId);
  } catch (exc) {
    setError("progress-error", messageOf(exc));
  }
}

// --- history -------------------------------------------------------------------------------

export async function loadHistory() {
  try {
    state.history = await historyRows(null);
    renderHistory();
  } catch (exc) {
    $("history").replaceChildren(h("p", { class: "error" }, messageOf(exc)));
  }
}

export function renderHistory() {
  if (state.history) $("history").replaceChildren(historyView(state.history, "learner", follow));
}

// --- controls ------------------------------------------------------------------------------

/** The chosen file's name, or "no file chosen" in the page's language (kept on a switch). */
export function showFileName() {
  const input = $("file");
  const shown = $("file-name");
  if (input.files && input.files.length) {
    shown.removeAttribute("data-i18n");
    shown.textContent = input.files[0].name;
  } else {
    shown.setAttribute("data-i18n", "no_file");
    shown.textContent = t("no_file");
  }
}

export function bindLearner() {
  $("record-btn").addEventListener("click", toggleRecording);
  $("record-btn").setAttribute("aria-pressed", "false");
  $("file").addEventListener("change", () => {
    setError("submit-error", "");
    showFileName();
    if ($("file").files.length) {
      state.recorded = null;
      $("record-preview").hidden = true;
      $("record-status").textContent = "";
    }
  });
  $("submit-btn").addEventListener("click", submit);
  $("cancel-btn").addEventListener("click", cancelTask);
  $("retry-btn").addEventListener("click", retryTask);
  $("history-refresh").addEventListener("click", () => loadHistory());
  document.addEventListener("vb:reading", renderSentences);
}
