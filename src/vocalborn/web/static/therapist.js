// The therapist's view: their clients, a client's attempts and error analytics.

import { api } from "./api.js";
import { analyticsInto } from "./analytics.js";
import { historyRows, historyView } from "./history.js";
import { t } from "./i18n.js";
import { $, messageOf, state } from "./page.js";
import { h } from "./result.js";

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
      ),
    );
  }
}

async function openClient(client) {
  state.client = client;
  state.clientHistory = null;
  state.tResult = null;
  $("t-result-panel").hidden = true;
  $("client-panel").hidden = false;
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
  if (state.clientHistory) $("client-history").replaceChildren(historyView(state.clientHistory, "therapist"));
}

export function bindTherapist() {
  $("clients-refresh").addEventListener("click", () => loadClients());
}
