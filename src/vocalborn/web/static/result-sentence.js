// The sentence word by word (English) or syllable by syllable (Mandarin), each coloured by its
// status, with what the second listener heard written under every flagged unit. Colour is never
// the only cue: each status also has its own underline, and the newer ones a symbol, so the page
// reads the same in greyscale and to a screen reader (the status is in each item's label).

import { t, has } from "./i18n.js";
import { band, fmtScore, h } from "./result.js";

// Statuses that need work: the item says what was heard in its place.
const FLAGGED = new Set(["mispronounced", "wrong_tone", "unclear", "substituted", "missing"]);
// A symbol in the item's corner for statuses whose look is not otherwise unmistakable.
const MARKS = { substituted: "⇄", unclear: "?" };
const CLASSES = { missing: "missing", extra: "extra", wrong_tone: "wrong-tone", substituted: "substituted", unclear: "unclear" };
const LEGEND = [
  ["good", "legend_good"],
  ["fair", "legend_fair"],
  ["poor", "legend_poor"],
  ["wrong-tone", "legend_wrong_tone"],
  ["missing", "legend_missing"],
  ["na", "legend_na"],
];
// Shown in the legend only when the result has such an item.
const LEGEND_IF_PRESENT = [
  ["substituted", "legend_substituted"],
  ["unclear", "legend_unclear"],
  ["extra", "legend_extra"],
];

function itemClass(it) {
  const status = it.status || "";
  if (status in CLASSES) return CLASSES[status];
  if (status === "not_assessed" || typeof it.score !== "number") return "na";
  return band(it.score);
}

function itemLabel(it) {
  if (it.status === "extra") return `+${it.heard || "…"}`; // an inserted word: the word heard
  return it.label || it.word || "…";
}

/** What the listener heard in this unit's place, for flagged units; null otherwise. */
export function heardText(it) {
  if (!FLAGGED.has(it.status)) return null;
  if (it.status === "missing" || it.said === "missing") return t("heard_nothing");
  const toneOff = typeof it.tone_heard === "number" && (it.status === "wrong_tone" || it.status === "unclear");
  if (it.heard && toneOff) return t("heard_with_tone", { heard: it.heard, tone: it.tone_heard });
  if (it.heard) return t("heard_as", { heard: it.heard });
  if (toneOff) return t("tone_heard", { tone: it.tone_heard });
  return null;
}

function itemTitle(it, heard) {
  const parts = [];
  if (it.pinyin) parts.push(it.pinyin);
  if (it.status) parts.push(has(`status_${it.status}`) ? t(`status_${it.status}`) : it.status);
  if (heard) parts.push(heard);
  if (typeof it.score === "number") parts.push(t("word_score", { score: fmtScore(it.score) }));
  if (it.tone_expected) parts.push(t("tone_expected", { tone: it.tone_expected }));
  if (it.tone_heard && it.tone_heard !== it.tone_expected && !heard) parts.push(t("tone_heard", { tone: it.tone_heard }));
  return parts.join(" · ");
}

function itemView(it) {
  const heard = heardText(it);
  const title = itemTitle(it, heard);
  const mark = MARKS[it.status];
  return h(
    "span",
    { class: `item ${itemClass(it)}`, title, tabindex: "0", "aria-label": `${itemLabel(it)}: ${title}`, "data-status": it.status || "" },
    h("span", { class: "item-text" }, itemLabel(it)),
    mark ? h("span", { class: "mark", "aria-hidden": "true" }, mark) : null,
    it.pinyin ? h("small", { class: "pinyin" }, it.pinyin) : null,
    heard ? h("small", { class: "heard" }, heard) : null,
  );
}

function legendView(statuses) {
  const legend = h("ul", { class: "legend-list" });
  const extra = LEGEND_IF_PRESENT.filter(([cls]) => statuses.has(cls));
  for (const [cls, key] of [...LEGEND, ...extra]) {
    const mark = MARKS[cls];
    legend.append(
      h(
        "li",
        { "data-legend": cls },
        h("span", { class: `swatch item ${cls}`, "aria-hidden": "true" }, "字", mark ? h("span", { class: "mark" }, mark) : null),
        t(key),
      ),
    );
  }
  return legend;
}

export function sentenceView(analyses) {
  const box = h("div", { class: "sentences" });
  const list = Array.isArray(analyses) ? analyses : [];
  const statuses = new Set();
  let any = false;
  for (const sa of list) {
    const items = Array.isArray(sa && sa.items) ? sa.items : [];
    if (!items.length) {
      if (sa && sa.text) box.append(h("p", { class: "sentence plain", lang: sa.language || null }, sa.text));
      continue;
    }
    any = true;
    const line = h("p", { class: "sentence", lang: sa.language || null });
    for (const it of items) {
      if (it.status) statuses.add(it.status);
      line.append(itemView(it), sa.language === "en" ? " " : "");
    }
    box.append(line);
  }
  box.append(any ? legendView(statuses) : h("p", { class: "note" }, t("no_items")));
  return box;
}
