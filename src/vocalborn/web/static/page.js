// What every part of the page shares: the element lookup, the page state, the banner and
// error lines, and playing a recording.

import { ApiError, audioUrl, NetworkError } from "./api.js";
import { has, lang, t } from "./i18n.js";
import { h } from "./result.js";

export const $ = (id) => document.getElementById(id);

export const state = {
  user: null,
  sentences: [],
  sentenceId: null,
  sessionId: null,
  sessionSentences: new Set(),
  recorder: null,
  recorded: null,
  follower: null,
  task: null, // {taskId, recordId, sentenceId, state, mode}
  result: null, // {result, recordId, sentenceId}
  history: null,
  clients: null,
  client: null,
  clientHistory: null,
  tResult: null,
  bannerNetwork: false,
};

export function showBanner(text, network = false) {
  $("banner-text").textContent = text;
  $("banner").hidden = false;
  state.bannerNetwork = network;
}

export function hideBanner() {
  $("banner").hidden = true;
  state.bannerNetwork = false;
}

// A localised explanation (i18n `key`) of what the server said. The server's message is precise
// but English: on a page in another language it follows the explanation in brackets; on an
// English page it is shown alone.
const SAYS_IT_ALL = new Set(["err_invalid_credentials", "err_email_taken", "err_no_audio", "err_upload_in_progress"]);

export function explain(key, detail) {
  if (lang() !== "en" && has(key)) return detail && !SAYS_IT_ALL.has(key) ? `${t(key)}（${detail}）` : t(key);
  return detail || (has(key) ? t(key) : "");
}

export function messageOf(exc) {
  if (exc instanceof NetworkError) return t("server_down");
  // an error the server words in both languages (e.g. link codes): its own words in ours
  const own = exc instanceof ApiError && exc.body && exc.body.messages ? exc.body.messages[lang()] : null;
  if (own) return own;
  if (exc instanceof ApiError) return explain(`err_${exc.code}`, exc.message);
  return String((exc && exc.message) || exc);
}

export function setError(id, text) {
  const node = $(id);
  node.textContent = text || "";
  node.hidden = !text;
}

export function sentenceById(id) {
  return state.sentences.find((s) => s.sentence_id === id) || null;
}

export async function play(container, path) {
  try {
    const url = await audioUrl(path);
    const audio = h("audio", { controls: true, src: url });
    container.replaceChildren(audio);
    audio.play().catch(() => {});
  } catch (exc) {
    container.replaceChildren(h("p", { class: "error" }, messageOf(exc)));
  }
}
