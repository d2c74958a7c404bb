// The error analytics a therapist reads: per learner and per sentence.

import { api, ApiError } from "./api.js";
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";
import { messageOf } from "./page.js";
import { fmtScore, h } from "./result.js";

// [...], tone: [...], word: [...], pause: [...]}} with rows {key, count, share, mean_score,
// detail: {notes, mean_seconds}}. Other plain shapes (a list of rows with a category) are accepted
// too; nothing to show (404 included: not computed yet, or no such endpoint) hides the figures
// behind a note.
function analyticsRows(data) {
  if (Array.isArray(data)) return data;
  if (!data || typeof data !== "object") return [];
  const source = data.items && typeof data.items === "object" ? data.items : data;
  if (Array.isArray(source)) return source;
  const out = [];
  for (const [cat, rows] of Object.entries(source)) {
    if (Array.isArray(rows)) for (const r of rows) if (r && typeof r === "object") out.push({ category: cat, ...r });
  }
  return out;
}

function analyticsLine(r, analyses) {
  const bits = [];
  const total = typeof r.analyses === "number" ? r.analyses : analyses;
  if (typeof r.count === "number") bits.push(t("analytics_count", { count: r.count, analyses: total ?? "?" }));
  if (typeof r.share === "number") bits.push(`${Math.round(r.share * 100)}%`);
  if (typeof r.mean_score === "number") bits.push(t("analytics_mean", { score: fmtScore(r.mean_score) }));
  const detail = r.detail || {};
  if (typeof detail.mean_seconds === "number") bits.push(t("seconds", { n: detail.mean_seconds.toFixed(2) }));
  if (detail.notes && typeof detail.notes === "object") bits.push(Object.keys(detail.notes).slice(0, 3).join(", "));
  return bits.join(" · ");
}

export async function analyticsInto(box, path, titleKey) {
  box.replaceChildren(h("section", { class: "analytics" }, h("h3", {}, t(titleKey)), h("p", { class: "muted" }, t("loading"))));
  let data = null;
  try {
    data = await api.get(path);
  } catch (exc) {
    if (!(exc instanceof ApiError && (exc.status === 404 || exc.status === 403))) {
      box.replaceChildren(h("section", { class: "analytics" }, h("h3", {}, t(titleKey)), h("p", { class: "error" }, messageOf(exc))));
      return;
    }
  }
  const rows = analyticsRows(data);
  const section = h("section", { class: "analytics", "data-rows": rows.length }, h("h3", {}, t(titleKey)));
  if (!rows.length) {
    section.append(h("p", { class: "note analytics-missing" }, t("analytics_none")));
    box.replaceChildren(section);
    return;
  }
  const analyses = data && typeof data.analyses === "number" ? data.analyses : null;
  if (data && data.computed_at) section.append(h("p", { class: "muted small" }, t("analytics_computed", { when: formatDateTime(data.computed_at) })));
  const groups = new Map();
  for (const r of rows) {
    const cat = r.category || "other";
    if (!groups.has(cat)) groups.set(cat, []);
    groups.get(cat).push(r);
  }
  const wrap = h("div", { class: "analytics-groups" });
  for (const [cat, list] of groups) {
    const key = `category_${cat}`;
    const line = (r) => analyticsLine(r, analyses);
    wrap.append(
      h(
        "div",
        { class: "analytics-group", "data-category": cat },
        h("h4", {}, t(key) === key ? cat : t(key)),
        h("ul", {}, list.map((r) => h("li", {}, h("strong", {}, r.label || r.key || r.item || ""), line(r) ? ` — ${line(r)}` : ""))),
      ),
    );
  }
  section.append(wrap);
  box.replaceChildren(section);
}
