// The learner's side of linking: create (or revoke) the code a therapist types to be linked,
// and see or remove the therapists who can read their practice. The code is shown only right
// after it is made (the server keeps only a hash of it).

import { api } from "./api.js";
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";
import { $, messageOf, setError, state } from "./page.js";
import { h } from "./result.js";

state.linkCode = null; // {code?, code_id, expires_at}: code only right after creation
state.therapists = null;
state.removing = null; // the therapist whose removal awaits confirmation

export async function loadLinks() {
  try {
    const [codes, therapists] = await Promise.all([api.get("/links/codes"), api.get("/me/therapists")]);
    const shown = state.linkCode && state.linkCode.code && codes.some((c) => c.code_id === state.linkCode.code_id);
    state.linkCode = shown ? state.linkCode : codes[0] || null;
    state.therapists = therapists;
    renderLinks();
  } catch (exc) {
    setError("link-error", messageOf(exc));
  }
}

export function renderLinks() {
  const c = state.linkCode;
  const box = $("link-code");
  if (!c) box.replaceChildren();
  else if (c.code) {
    box.replaceChildren(
      h("p", { class: "muted" }, t("link_code_label")),
      h("p", { class: "code-value", "aria-label": `${t("link_code_label")} ${c.code.split("").join(" ")}` }, c.code),
      h("p", { class: "muted small" }, t("link_expires", { when: formatDateTime(c.expires_at) })),
    );
  } else box.replaceChildren(h("p", { class: "note" }, t("link_active_hidden", { when: formatDateTime(c.expires_at) })));
  $("link-create").textContent = t(c ? "link_create_new" : "link_create");
  $("link-revoke").hidden = !c;
  renderTherapists();
}

function renderTherapists() {
  const list = $("my-therapists");
  if (!state.therapists) return list.replaceChildren();
  if (!state.therapists.length) return list.replaceChildren(h("li", { class: "note" }, t("my_therapists_none")));
  list.replaceChildren(
    ...state.therapists.map((th) =>
      h(
        "li",
        { class: "client", "data-user-id": th.user_id },
        h("span", { class: "client-name" }, th.name),
        h("span", { class: "muted small" }, t("linked_since", { when: formatDateTime(th.linked_at) })),
        state.removing === th.user_id
          ? confirmBox(t("remove_therapist_confirm", { name: th.name }), t("confirm_remove"), () => removeTherapist(th), () => {
              state.removing = null;
              renderTherapists();
            })
          : h("button", { type: "button", class: "secondary small", "aria-label": `${t("remove_therapist")} ${th.name}`, onclick: () => askRemove(th) }, t("remove_therapist")),
      ),
    ),
  );
}

// An inline confirmation (no browser dialog: it speaks the page's language and stays on screen).
export function confirmBox(question, yesText, onYes, onNo) {
  return h(
    "div",
    { class: "confirm", role: "alertdialog", "aria-label": question },
    h("p", {}, question),
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", class: "danger small", onclick: onYes }, yesText),
      h("button", { type: "button", class: "secondary small", onclick: onNo }, t("confirm_cancel")),
    ),
  );
}

function askRemove(th) {
  state.removing = th.user_id;
  renderTherapists();
  $("my-therapists").querySelector(".confirm button").focus();
}

async function removeTherapist(th) {
  setError("link-error", "");
  try {
    await api.del(`/me/therapists/${th.user_id}`);
    state.removing = null;
    $("link-msg").textContent = t("therapist_removed", { name: th.name });
    await loadLinks();
  } catch (exc) {
    setError("link-error", messageOf(exc));
  }
}

async function createCode() {
  setError("link-error", "");
  $("link-msg").textContent = "";
  $("link-create").disabled = true;
  try {
    state.linkCode = await api.post("/links/codes", {});
    renderLinks();
  } catch (exc) {
    setError("link-error", messageOf(exc));
  } finally {
    $("link-create").disabled = false;
  }
}

async function revokeCode() {
  const c = state.linkCode;
  if (!c) return;
  setError("link-error", "");
  try {
    await api.del(`/links/codes/${c.code_id}`);
    state.linkCode = null;
    $("link-msg").textContent = t("link_revoked");
    renderLinks();
  } catch (exc) {
    setError("link-error", messageOf(exc));
    loadLinks();
  }
}

export function bindLinks() {
  $("link-create").addEventListener("click", createCode);
  $("link-revoke").addEventListener("click", revokeCode);
}

export function resetLinks() {
  state.linkCode = null;
  state.therapists = null;
  state.removing = null;
  for (const id of ["link-msg", "link-client-msg"]) $(id).textContent = "";
  setError("link-error", "");
  setError("link-client-error", "");
  renderLinks();
}
