// The sentence word by word (English) or character by character (Mandarin, each character above
// its Zhuyin or tone-mark pinyin). Every flagged unit is a button with an icon and a short text
// label, so it reads without colour and without hover; tapping it (or Enter/Space) opens a small
// panel under the sentence: what was expected, what was heard, and one tip (tips.js).

import { lang, t } from "./i18n.js";
import { readingMode, setReadingMode, spelled } from "./reading.js";
import { band, h } from "./result.js";
import { tipFor, toneName } from "./tips.js";

// Flagged statuses, each with its icon (the short text label is the i18n key flag_<status>).
export const ICONS = {
  wrong_tone: "♪",
  unclear: "?",
  substituted: "⇄",
  missing: "∅",
  mispronounced: "!",
  extra: "+",
};
const CLASSES = { missing: "missing", extra: "extra", wrong_tone: "wrong-tone", substituted: "substituted", unclear: "unclear", mispronounced: "mispronounced" };
const LEGEND = [
  ["good", "legend_good"],
  ["fair", "legend_fair"],
  ["poor", "legend_poor"],
  ["na", "legend_na"],
];
let panelIds = 0;

export function isFlagged(it) {
  return Boolean(it && it.status in ICONS);
}

function itemClass(it) {
  const status = it.status || "";
  if (status in CLASSES) return CLASSES[status];
  if (status === "not_assessed" || typeof it.score !== "number") return "na";
  return band(it.score);
}

const isMandarin = (it) => typeof it.label === "string" && !("word" in it);

/** The unit as the learner sees it: a character above its spelling, a word, or the word heard. */
function unitView(it) {
  if (it.status === "extra") return h("span", { class: "item-text" }, it.heard || "…");
  if (!isMandarin(it)) return h("span", { class: "item-text" }, it.word || "…");
  const spelling = spelled(it);
  if (!spelling) return h("span", { class: "item-text" }, it.label);
  return h("ruby", { class: "item-text" }, it.label, h("rt", { class: "spelling" }, spelling));
}

function statusText(it) {
  return t(`flag_${it.status}`);
}

function toneLine(it, tone, prefix) {
  const spelling = spelled(it, prefix);
  const name = toneName(tone, lang());
  return spelling ? t("explain_tone", { name, spelled: spelling }) : name;
}

/** [expected, heard] for the panel, as text. */
export function expectedHeard(it) {
  const mandarin = isMandarin(it);
  const tone = it.status === "wrong_tone" || it.status === "unclear";
  let expected;
  if (it.status === "extra") expected = t("expected_none");
  else if (mandarin && tone) expected = `${it.label} ${toneLine(it, it.tone_expected, "expected_")}`;
  else if (mandarin) expected = [it.label, spelled(it, "expected_")].filter(Boolean).join(" ");
  else expected = it.word || "";
  let heard;
  if (it.status === "missing" || it.said === "missing") heard = t("heard_none");
  else if (mandarin && tone) heard = typeof it.tone_heard === "number" ? `${it.heard || it.label} ${toneLine(it, it.tone_heard, "heard_")}` : t("heard_unknown");
  else if (it.status === "mispronounced") heard = t("heard_not_clear", { heard: it.heard || it.word || "" });
  else heard = it.heard || t("heard_unknown");
  return [expected, heard];
}

function panelView(it, id) {
  const [expected, heard] = expectedHeard(it);
  const tip = tipFor(it, lang(), spelled(it, "expected_"));
  return h(
    "div",
    { class: "explain", id, role: "region", "aria-label": `${it.label || it.word || it.heard || ""} ${statusText(it)}`, "data-status": it.status, hidden: true },
    h("p", { class: "explain-title" }, h("span", { class: "icon", "aria-hidden": "true" }, ICONS[it.status]), " ", h("strong", {}, statusText(it))),
    h(
      "dl",
      {},
      h("div", {}, h("dt", {}, t("explain_expected")), h("dd", { class: "expected" }, expected)),
      h("div", {}, h("dt", {}, t("explain_heard")), h("dd", { class: "heard" }, heard)),
    ),
    tip ? h("p", { class: "tip" }, h("strong", {}, `${t("explain_tip")}${t("colon")}`), tip) : null,
  );
}

function flaggedView(it, panels) {
  const id = `explain-${++panelIds}`;
  const panel = panelView(it, id);
  panels.append(panel);
  const button = h(
    "button",
    { type: "button", class: `item flagged ${itemClass(it)}`, "aria-expanded": "false", "aria-controls": id, "data-status": it.status },
    unitView(it),
    h("span", { class: "flag" }, h("span", { class: "icon", "aria-hidden": "true" }, ICONS[it.status]), h("span", { class: "flag-text" }, statusText(it))),
  );
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    for (const other of button.closest(".sentences").querySelectorAll(".item[aria-expanded=true]")) {
      other.setAttribute("aria-expanded", "false");
      document.getElementById(other.getAttribute("aria-controls")).hidden = true;
    }
    button.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
  });
  button.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && button.getAttribute("aria-expanded") === "true") button.click();
  });
  return button;
}

function plainView(it) {
  return h("span", { class: `item ${itemClass(it)}`, "data-status": it.status || "" }, unitView(it));
}

function readingSwitch(box, list) {
  const mode = readingMode();
  const option = (value, key) =>
    h(
      "button",
      {
        type: "button",
        class: "secondary small",
        "aria-pressed": String(mode === value),
        "data-reading": value,
        onclick: () => {
          setReadingMode(value);
          fill(box, list);
          box.querySelector(`[data-reading=${value}]`).focus();
        },
      },
      t(key),
    );
  return h("div", { class: "reading-switch", role: "group", "aria-label": t("reading_label") }, h("span", { class: "muted small" }, t("reading_label")), option("zhuyin", "reading_zhuyin"), option("pinyin", "reading_pinyin"));
}

function legendView(statuses) {
  const legend = h("ul", { class: "legend-list" });
  for (const [cls, key] of LEGEND) legend.append(h("li", { "data-legend": cls }, h("span", { class: `swatch item ${cls}`, "aria-hidden": "true" }, "字"), t(key)));
  for (const status of Object.keys(ICONS).filter((s) => statuses.has(s))) {
    legend.append(h("li", { "data-legend": status }, h("span", { class: "swatch icon", "aria-hidden": "true" }, ICONS[status]), t(`flag_${status}`)));
  }
  return legend;
}

function fill(box, list) {
  const statuses = new Set();
  const panels = h("div", { class: "explains" });
  let any = false;
  let flagged = 0;
  const mandarin = list.some((sa) => sa && sa.language === "zh-TW" && Array.isArray(sa.items) && sa.items.length);
  const children = [];
  if (mandarin) children.push(readingSwitch(box, list));
  for (const sa of list) {
    const items = Array.isArray(sa && sa.items) ? sa.items : [];
    if (!items.length) {
      if (sa && sa.text) children.push(h("p", { class: "sentence plain", lang: sa.language || null }, sa.text));
      continue;
    }
    any = true;
    const line = h("p", { class: "sentence", lang: sa.language || null });
    for (const it of items) {
      if (it.status) statuses.add(it.status);
      if (isFlagged(it)) flagged += 1;
      line.append(isFlagged(it) ? flaggedView(it, panels) : plainView(it), sa.language === "en" ? " " : "");
    }
    children.push(line);
  }
  if (any) {
    children.push(panels);
    children.push(h("p", { class: "sentence-summary" }, flagged ? `${t("to_work_on", { n: flagged })} ${t("tap_hint")}` : t("all_right")));
    children.push(legendView(statuses));
  } else children.push(h("p", { class: "note" }, t("no_items")));
  box.replaceChildren(...children);
}

export function sentenceView(analyses) {
  const box = h("div", { class: "sentences" });
  fill(box, Array.isArray(analyses) ? analyses : []);
  return box;
}
