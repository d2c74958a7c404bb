// The live progress panel of the learner's current task: bar, step, ETA, cancel and retry.

import { t } from "./i18n.js";
import { $, explain, setError, state } from "./page.js";

function stepText(s) {
  if (s.status === "pending") {
    return typeof s.queue_position === "number" ? t("queued", { n: s.queue_position }) : t("queued_plain");
  }
  if (s.status === "retry") {
    const message = s.error_type ? explain(`fail_${s.error_type}`, s.error_message || "") : s.error_message || "";
    return t("retrying", { n: (s.retry_count || 0) + 1, message });
  }
  if (["success", "failure", "cancelled"].includes(s.status)) return t(`status_${s.status}`);
  const raw = s.current_step || "";
  const [base, ...rest] = raw.split(": ");
  const baseKey = `step_${base.replace(/\s+/g, "_")}`;
  let text = t(baseKey) === baseKey ? base : t(baseKey);
  const sub = rest.join(": ");
  if (sub) {
    const subKey = `sub_${sub}`;
    text += `：${t(subKey) === subKey ? sub : t(subKey)}`;
  }
  const status = t(`status_${s.status}`);
  return text && text !== status ? `${status} — ${text}` : status;
}

function isoSeconds(duration) {
  const m = /^P(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(duration || "");
  if (!m) return null;
  return (+m[1] || 0) * 3600 + (+m[2] || 0) * 60 + (+m[3] || 0);
}

export function renderProgress() {
  const task = state.task;
  if (!task) return;
  const s = task.state;
  const value = Math.max(0, Math.min(100, Number(s.progress) || 0));
  const bar = $("progress");
  bar.setAttribute("value", String(value));
  $("progress-pct").textContent = `${value}%`;
  $("progress-step").textContent = stepText(s);
  const extra = [];
  const eta = isoSeconds(s.estimated_remaining_time);
  if (eta !== null && !["success", "failure", "cancelled"].includes(s.status)) {
    extra.push(t("eta", { time: t("seconds", { n: Math.ceil(eta) }) }));
  }
  if (task.mode) extra.push(t(task.mode === "ws" ? "live_ws" : "live_poll"));
  $("progress-extra").textContent = extra.join(" · ");
  $("progress-panel").dataset.status = s.status;
  $("progress-panel").dataset.mode = task.mode || "";
  $("cancel-btn").hidden = ["success", "failure", "cancelled"].includes(s.status);
  if (s.status === "failure") {
    const message = s.error_message || (s.error && s.error.message) || "";
    const type = s.error_type || (s.error && s.error.error_type);
    const text = type ? explain(`fail_${type}`, message) : message;
    setError("progress-error", t("failed", { message: text }) + (type ? ` (${t("failed_type", { type })})` : ""));
    $("retry-btn").hidden = type === "file" || Boolean(s.lost);
  } else if (s.status === "cancelled") {
    setError("progress-error", t("cancelled"));
    $("retry-btn").hidden = true;
  } else {
    setError("progress-error", "");
    $("retry-btn").hidden = true;
  }
}
