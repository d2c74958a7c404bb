// Dates and times as the page's language writes them, always in Taiwan's time zone (the
// learners and therapists are there; the browser's own zone may be anything). One helper for
// every date on the page, so none falls back to the browser's locale.

import { lang } from "./i18n.js";

export const TIME_ZONE = "Asia/Taipei";

function toDate(value) {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2025/12/3 下午3:04" (zh-TW) or "Dec 3, 2025, 3:04 PM" (en); "" for a missing date. */
export function formatDateTime(value, language = lang()) {
  const d = value === null || value === undefined ? null : toDate(value);
  if (!d) return "";
  return new Intl.DateTimeFormat(language, {
    timeZone: TIME_ZONE,
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
  }).format(d);
}

/** The date alone ("12月3日" / "Dec 3"), with the year when `withYear`. */
export function formatDate(value, language = lang(), withYear = false) {
  const d = value === null || value === undefined ? null : toDate(value);
  if (!d) return "";
  const opts = { timeZone: TIME_ZONE, month: "short", day: "numeric" };
  if (withYear) opts.year = "numeric";
  return new Intl.DateTimeFormat(language, opts).format(d);
}
