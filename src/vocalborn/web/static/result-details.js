// The collapsible "Details (for therapists)" part of a result: the numbers a learner does not
// need on the main view (per-unit scores, speech rate in syllables/s, pitch in Hz and semitones,
// voice quality, what the listener model heard, the measurements behind each suggestion, what
// was not assessed and why, processing time and model version). Closed by default.

import { t, has } from "./i18n.js";
import { spelled } from "./reading.js";
import { fmtScore, h, localised } from "./result.js";

const num = (v, digits = 1) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : null);

function rows(pairs) {
  const shown = pairs.filter(([, v]) => v !== null && v !== undefined && v !== "");
  if (!shown.length) return null;
  return h("dl", { class: "kv" }, shown.map(([k, v]) => h("div", {}, h("dt", {}, t(k)), h("dd", {}, String(v)))));
}

function section(titleKey, body) {
  return body ? h("section", { class: "detail-part" }, h("h4", {}, t(titleKey)), body) : null;
}

function unitName(it) {
  if (it.status === "extra") return `+${it.heard || "…"}`;
  if (typeof it.label === "string" && !("word" in it)) {
    const spelling = spelled(it);
    return spelling ? `${it.label} ${spelling}` : it.label;
  }
  return it.word || "…";
}

function unitsTable(analyses) {
  const items = (Array.isArray(analyses) ? analyses : []).flatMap((sa) => (Array.isArray(sa && sa.items) ? sa.items : []));
  if (!items.length) return null;
  const tones = items.some((it) => typeof it.tone_expected === "number");
  const similarity = items.some((it) => typeof it.reference_similarity === "number");
  const head = [t("d_unit"), t("d_status"), t("d_score"), tones ? t("d_tone") : null, similarity ? t("d_similarity") : null].filter(Boolean);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "units" },
      h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        items.map((it) =>
          h(
            "tr",
            { "data-status": it.status || "" },
            h("td", {}, unitName(it)),
            h("td", {}, has(`status_${it.status}`) ? t(`status_${it.status}`) : it.status || ""),
            h("td", {}, fmtScore(it.score)),
            tones ? h("td", {}, typeof it.tone_expected === "number" ? `${it.tone_expected} → ${it.tone_heard ?? "—"}` : "") : null,
            similarity ? h("td", {}, num(it.reference_similarity) ?? "—") : null,
          ),
        ),
      ),
    ),
  );
}

function timingRows(timing) {
  const learner = (timing && timing.learner) || {};
  const pauses = typeof learner.pause_count === "number" ? t("d_pauses_value", { n: learner.pause_count, s: num(learner.pause_total) ?? "0" }) : null;
  return rows([
    ["d_speech_rate", num(learner.speech_rate)],
    ["d_articulation_rate", num(learner.articulation_rate)],
    ["d_pauses", pauses],
    ["d_duration", num(learner.speech_duration)],
  ]);
}

function pitchRows(pitch) {
  const p = pitch || {};
  return rows([
    ["d_f0_median", num(p.f0_median_hz, 0)],
    ["d_f0_range", num(p.f0_range_st)],
    ["d_f0_sd", num(p.f0_sd_st)],
  ]);
}

function voiceRows(voice) {
  const v = voice || {};
  const pct = (x) => (typeof x === "number" ? (100 * x).toFixed(2) : null);
  return rows([
    ["d_jitter", pct(v.jitter_local)],
    ["d_shimmer", pct(v.shimmer_local)],
    ["d_hnr", num(v.hnr_db)],
    ["d_cpps", num(v.cpps_db)],
  ]);
}

function listenerRows(listener) {
  const l = listener || {};
  return rows([
    ["d_heard_free", l.heard],
    ["d_heard_prompted", l.heard_prompted],
  ]);
}

function basisList(suggestions) {
  const withDetail = (Array.isArray(suggestions) ? suggestions : []).filter((s) => s && s.detail);
  if (!withDetail.length) return null;
  return h("ul", {}, withDetail.map((s) => h("li", {}, `${localised(s)[0]}${t("colon")}${localised(s.detail)[0]}`)));
}

function notesList(notAssessed) {
  const rest = Object.entries(notAssessed || {});
  if (!rest.length) return null;
  return h(
    "ul",
    { class: "notes" },
    rest.map(([k, v]) => {
      const label = has(`na_${k}`) ? t(`na_${k}`) : has(`score_${k.replace(/_score$|_accuracy$/, "")}`) ? t(`score_${k.replace(/_score$|_accuracy$/, "")}`) : k.replace(/_/g, " ");
      return h("li", { "data-note": k }, h("strong", {}, label), `${t("colon")}${localised(v)[0]}`);
    }),
  );
}

function runLine(result) {
  const parts = [];
  if (typeof result.processing_time_seconds === "number") parts.push(t("processing_time", { s: result.processing_time_seconds.toFixed(1) }));
  if (result.analysis_model_version) parts.push(t("model_version", { v: result.analysis_model_version }));
  return parts.length ? h("p", { class: "muted small model" }, parts.join(" · ")) : null;
}

/** The details part of `result`, closed; null when there is nothing to show. */
export function detailsView(result) {
  const detailed = result.detailed_analysis || {};
  const parts = [
    section("d_units", unitsTable(result.sentence_analyses)),
    section("d_timing", timingRows(detailed.timing_analysis)),
    section("d_pitch", pitchRows(detailed.pitch_analysis)),
    section("d_voice", voiceRows(detailed.voice_quality)),
    section("d_listener", listenerRows(detailed.listener)),
    section("d_basis", basisList(result.suggestions)),
    section("d_notes", notesList(result.not_assessed)),
    section("d_run", runLine(result)),
  ].filter(Boolean);
  if (!parts.length) return null;
  return h("details", { class: "card details" }, h("summary", {}, t("details_title")), ...parts);
}
