// How Mandarin is spelled for the learner: Zhuyin (注音, what learners in Taiwan read; the
// default on the zh-TW page) or tone-mark pinyin (the default on the English page). The choice
// is remembered in localStorage; changing it announces "vb:reading" so views re-render. The
// spellings come from the server (pypinyin); tone-number pinyin is never shown.

import { lang } from "./i18n.js";

const KEY = "vb.reading";
export const MODES = ["zhuyin", "pinyin"];

export function readingMode() {
  const saved = localStorage.getItem(KEY);
  if (MODES.includes(saved)) return saved;
  return lang() === "en" ? "pinyin" : "zhuyin";
}

export function setReadingMode(mode) {
  if (!MODES.includes(mode)) return;
  localStorage.setItem(KEY, mode);
  document.dispatchEvent(new CustomEvent("vb:reading", { detail: mode }));
}

/**
 * The spelling of `obj` in the current mode: `obj[prefix + "zhuyin"]` or
 * `obj[prefix + "pinyin_marks"]` (prefix "" = as written, "expected_", "heard_"); "" if absent.
 */
export function spelled(obj, prefix = "", mode = readingMode()) {
  const value = obj && obj[`${prefix}${mode === "zhuyin" ? "zhuyin" : "pinyin_marks"}`];
  return typeof value === "string" ? value : "";
}
