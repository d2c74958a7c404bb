// The therapist's view: link a learner with the code they share, the clients with their latest
// attempts and weakest items, a client's attempts and error analytics, unlinking.

import { api } from "./api.js";
import { analyticsInto } from "./analytics.js";
import { historyRows, historyView } from "./history.js";
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";
import { confirmBox } from "./learner-links.js";
import { $, messageOf, setError, state } from "./page.js";
import { spelled } from "./reading.js";
import { band, fmtScore, h } from "./result.js";

export async function loadClients() {
  try {
    const [clients, sentences] = await Promise.all([api.get("/therapists/me/clients"), api.get("/practice/sentences")]);
    state.clients = clients;
    state.sentences = sentences;
    renderClients();
  } catch (exc) {
    $("clients").replaceChildren(h("li", { class: "error" }, messageOf(exc)));
  }
}

function attemptsView(c) {
  const attempts = c.latest_attempts || [];
  return h(
    "div",
    { class: "client-attempts" },
    h("h3", { class: "small" }, t("latest_attempts")),
    attempts.length
      ? h(
          "ul",
          { class: "attempts" },
          attempts.map((a) =>
            h(
              "li",
              { "data-task-id": a.task_id },
              h("span", { class: `score ${band(a.overall_score)}` }, fmtScore(a.overall_score)),
              h("span", { class: "what", lang: a.language }, a.sentence_text),
              h("span", { class: "muted small" }, formatDateTime(a.completed_at)),
            ),
          ),
        )
      : h("p", { class: "note small" }, t("no_attempts")),
  );
}

function weakView(c) {
  const items = c.weakest || [];
  return h(
    "div",
    { class: "client-weak" },
    h("h3", { class: "small" }, t("weakest_items")),
    items.length
      ? h(
          "ul",
          { class: "weak-items" },
          items.map((w) =>
            h(
              "li",
              { class: "tag weak", "data-category": w.category, title: t(`category_${w.category}`) },
              w.label ? `${w.label} ${spelled(w) || w.key}` : spelled(w) || w.key,
              " · ",
              t("weak_times", { count: w.count }),
            ),
          ),
        )
      : h("p", { class: "note small" }, t("no_weak_items")),
  );
}

export function renderClients() {
  const list = $("clients");
  list.replaceChildren();
  if (!state.clients) return;
  if (!state.clients.length) {
    list.append(h("li", { class: "note" }, t("clients_empty")));
    return;
  }
  for (const c of state.clients) {
    list.append(
      h(
        "li",
        { class: "client", "data-user-id": c.user_id },
        h("span", { class: "client-name" }, c.name),
        h("span", { class: "muted" }, c.email),
        h("button", { type: "button", class: "secondary small", "aria-label": `${t("view_client")} ${c.name}`, onclick: () => openClient(c) }, t("view_client")),
        h("div", { class: "client-summary" }, attemptsView(c), weakView(c)),
      ),
    );
  }
}

async function openClient(client) {
  state.client = client;
  state.unlinking = false;
  state.clientHistory = null;
  state.tResult = null;
  $("t-result-panel").hidden = true;
  $("client-panel").hidden = false;
  renderUnlink();
  $("client-h").textContent = t("client_sessions", { name: client.name });
  $("client-history").replaceChildren(h("p", { class: "muted" }, t("loading")));
  $("client-h").focus({ preventScroll: true });
  analyticsInto($("client-analytics"), `/analytics/learners/${client.user_id}`, "analytics_title");
  try {
    state.clientHistory = await historyRows(client.user_id);
    renderClientHistory();
  } catch (exc) {
    $("client-history").replaceChildren(h("p", { class: "error" }, messageOf(exc)));
  }
}

export function renderClientHistory() {
  if (state.client) $("client-h").textContent = t("client_sessions", { name: state.client.name });
  renderUnlink();
  if (state.clientHistory) $("client-history").replaceChildren(historyView(state.clientHistory, "therapist"));
}

// --- unlinking (with an inline confirmation) -------------------------------------------------

function renderUnlink() {
  const box = $("unlink-box");
  const c = state.client;
  if (!c) return box.replaceChildren();
  if (!state.unlinking) {
    box.replaceChildren(h("button", { type: "button", class: "secondary small", id: "unlink-btn", onclick: askUnlink }, t("unlink_client")));
    return;
  }
  box.replaceChildren(
    confirmBox(t("unlink_confirm", { name: c.name }), t("confirm_unlink"), () => unlink(c), () => {
      state.unlinking = false;
      renderUnlink();
      $("unlink-btn").focus();
    }),
  );
}

function askUnlink() {
  state.unlinking = true;
  renderUnlink();
  $("unlink-box").querySelector(".confirm button").focus();
}

async function unlink(c) {
  setError("link-client-error", "");
  try {
    await api.del(`/therapists/me/clients/${c.user_id}`);
  } catch (exc) {
    setError("link-client-error", messageOf(exc));
    return;
  }
  Object.assign(state, { client: null, clientHistory: null, tResult: null, unlinking: false });
  $("client-panel").hidden = true;
  $("t-result-panel").hidden = true;
  $("link-client-msg").textContent = t("client_unlinked", { name: c.name });
  await loadClients();
  $("clients-h").focus({ preventScroll: true });
}

// --- linking with a learner's code -----------------------------------------------------------

async function linkClient(ev) {
  ev.preventDefault();
  setError("link-client-error", "");
  $("link-client-msg").textContent = "";
  const code = $("link-code-input").value.trim();
  if (!code) return;
  $("link-btn").disabled = true;
  try {
    const client = await api.post("/therapists/me/clients", { code });
    $("link-code-input").value = "";
    $("link-client-msg").textContent = t("client_linked", { name: client.name });
    await loadClients();
  } catch (exc) {
    setError("link-client-error", messageOf(exc));
  } finally {
    $("link-btn").disabled = false;
  }
}

export function bindTherapist() {
  $("clients-refresh").addEventListener("click", () => loadClients());
  $("link-form").addEventListener("submit", linkClient);
}
