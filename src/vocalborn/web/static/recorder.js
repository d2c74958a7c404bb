// Recording an attempt in the browser (MediaRecorder), at most MAX_RECORD_SECONDS long. When the
// microphone cannot be used, the learner reads our own words in the page's language (what to do
// about it), never the browser's English error message.

import { t } from "./i18n.js";
import { $, setError, state } from "./page.js";

const MIME_TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
const MAX_RECORD_SECONDS = 60;

/** The i18n key explaining a getUserMedia failure (DOMException names, per the spec). */
export function micErrorKey(exc) {
  const name = (exc && exc.name) || "";
  if (name === "NotAllowedError" || name === "PermissionDeniedError" || name === "SecurityError") return "mic_denied_plain";
  if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") return "mic_missing";
  if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") return "mic_busy";
  return "mic_failed";
}

export async function toggleRecording() {
  setError("submit-error", "");
  if (state.recorder) {
    state.recorder.stop();
    return;
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === "undefined") {
    setError("submit-error", t(window.isSecureContext === false ? "mic_insecure" : "mic_unsupported"));
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (exc) {
    setError("submit-error", t(micErrorKey(exc)));
    return;
  }
  const mime = MIME_TYPES.find((m) => MediaRecorder.isTypeSupported(m)) || "";
  let recorder;
  try {
    recorder = new MediaRecorder(stream, mime ? { mimeType: mime } : {});
  } catch {
    stream.getTracks().forEach((track) => track.stop());
    setError("submit-error", t("mic_failed"));
    return;
  }
  const chunks = [];
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const tick = setInterval(() => {
    $("record-status").textContent = t("recording", { seconds: Math.floor((performance.now() - started) / 1000) });
    if ((performance.now() - started) / 1000 >= MAX_RECORD_SECONDS) recorder.stop();
  }, 250);
  recorder.ondataavailable = (ev) => {
    if (ev.data && ev.data.size) chunks.push(ev.data);
  };
  recorder.onstop = () => {
    clearInterval(tick);
    stream.getTracks().forEach((track) => track.stop());
    const type = recorder.mimeType || mime || "audio/webm";
    const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
    const blob = new Blob(chunks, { type });
    const secs = seconds();
    state.recorded = { blob, ext, seconds: secs };
    state.recorder = null;
    $("file").value = "";
    $("file").dispatchEvent(new Event("change")); // the shown name follows
    const preview = $("record-preview");
    preview.src = URL.createObjectURL(blob);
    preview.hidden = false;
    $("record-status").textContent = t("recorded", { seconds: secs });
    $("record-btn").textContent = t("record_btn");
    $("record-btn").setAttribute("aria-pressed", "false");
    $("record-btn").classList.remove("on");
  };
  recorder.start(250);
  state.recorder = recorder;
  $("record-btn").textContent = t("stop_btn");
  $("record-btn").setAttribute("aria-pressed", "true");
  $("record-btn").classList.add("on");
  $("record-status").textContent = t("recording", { seconds: 0 });
}
