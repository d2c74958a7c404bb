// The VocalBorn page: log in / register, then the learner's practice (learner.js) or the
// therapist's clients (therapist.js). This entry module holds the shell: the views, the session,
// the language switch and the start.

import { api, NetworkError, on, setToken, token } from "./api.js";
import { compact } from "./charts.js";
import { applyStatic, lang, setLang, t } from "./i18n.js";
import { bindLearner, loadHistory, loadSentences, renderHistory, renderSentences } from "./learner.js";
import { bindLinks, loadLinks, renderLinks, resetLinks } from "./learner-links.js";
import { $, hideBanner, messageOf, setError, showBanner, state } from "./page.js";
import { renderProgress } from "./progress-panel.js";
import { renderResult } from "./result-panel.js";
import { bindTherapist, loadClients, renderClientHistory, renderClients } from "./therapist.js";

on("onNetwork", (ok) => {
  if (!ok) showBanner(t("server_down"), true);
  else if (state.bannerNetwork) hideBanner();
});

on("onUnauthorized", () => {
  if (!state.user) return;
  logout();
  $("auth-msg").textContent = t("session_expired");
});

// --- views ---------------------------------------------------------------------------------

function show(view) {
  for (const name of ["auth", "learner", "therapist"]) $(`view-${name}`).hidden = name !== view;
  $("logout").hidden = view === "auth";
  $("who").hidden = view === "auth";
}

function logout() {
  if (state.follower) state.follower.stop();
  setToken(null);
  Object.assign(state, {
    user: null, sentenceId: null, sessionId: null, sessionSentences: new Set(), recorded: null,
    follower: null, task: null, result: null, history: null, clients: null, client: null,
    clientHistory: null, tResult: null,
  });
  resetLinks();
  $("progress-panel").hidden = true;
  $("result-panel").hidden = true;
  $("client-panel").hidden = true;
  $("t-result-panel").hidden = true;
  show("auth");
  $("login-form").hidden = false;
  $("register-form").hidden = true;
  $("login-email").focus();
}

async function enter() {
  state.user = await api.get("/auth/me");
  $("who").textContent = `${state.user.name} (${state.user.email})`;
  if (state.user.role === "therapist" || state.user.role === "admin") {
    show("therapist");
    await loadClients();
  } else {
    show("learner");
    await Promise.all([loadSentences(), loadHistory(), loadLinks()]);
  }
  $("main").focus();
}

// --- auth ----------------------------------------------------------------------------------

async function login(email, password) {
  const tok = await api.post("/auth/login", { email, password }, { auth: false });
  setToken(tok.access_token);
  await enter();
}

function bindAuth() {
  $("to-register").addEventListener("click", () => {
    $("login-form").hidden = true;
    $("register-form").hidden = false;
    $("reg-name").focus();
  });
  $("to-login").addEventListener("click", () => {
    $("register-form").hidden = true;
    $("login-form").hidden = false;
    $("login-email").focus();
  });
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    setError("login-error", "");
    $("auth-msg").textContent = "";
    $("login-btn").disabled = true;
    try {
      await login($("login-email").value.trim(), $("login-password").value);
      $("login-password").value = "";
    } catch (exc) {
      setToken(null);
      setError("login-error", messageOf(exc));
    } finally {
      $("login-btn").disabled = false;
    }
  });
  $("register-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    setError("register-error", "");
    const email = $("reg-email").value.trim();
    const password = $("reg-password").value;
    const name = $("reg-name").value.trim();
    $("register-btn").disabled = true;
    try {
      try {
        await api.post("/auth/register", { email, password, name }, { auth: false });
      } catch (exc) {
        setError("register-error", messageOf(exc));
        return;
      }
      $("reg-password").value = "";
      $("register-form").hidden = true;
      $("login-form").hidden = false;
      $("login-email").value = email;
      $("auth-msg").textContent = t("registered");
      try {
        await login(email, password);
      } catch (exc) {
        setToken(null);
        setError("login-error", messageOf(exc));
      }
    } finally {
      $("register-btn").disabled = false;
    }
  });
}

// --- language ------------------------------------------------------------------------------

function rerender() {
  applyStatic(document);
  if (state.recorder) $("record-btn").textContent = t("stop_btn");
  if (state.user && state.user.role === "client") {
    renderSentences();
    renderHistory();
    renderProgress();
    renderResult("learner");
    renderLinks();
  } else if (state.user) {
    renderClients();
    renderClientHistory();
    renderResult("therapist");
  }
  if (state.bannerNetwork) $("banner-text").textContent = t("server_down");
}

// --- start ---------------------------------------------------------------------------------

async function start() {
  $("lang").value = lang();
  applyStatic(document);
  bindAuth();
  $("lang").addEventListener("change", (ev) => {
    setLang(ev.target.value);
    rerender();
  });
  $("logout").addEventListener("click", logout);
  let wasCompact = compact();
  window.addEventListener("resize", () => {
    if (compact() !== wasCompact) {
      wasCompact = compact();
      rerender();
    }
  });
  $("banner-close").addEventListener("click", hideBanner);
  bindLearner();
  bindTherapist();
  bindLinks();
  setError("submit-error", "");
  setError("login-error", "");
  setError("register-error", "");
  setError("progress-error", "");
  if (token()) {
    try {
      await enter();
    } catch (exc) {
      if (exc instanceof NetworkError) {
        // Keep the token: the server may only be restarting.
        showBanner(t("server_down"), true);
        show("auth");
      } else {
        logout();
      }
    }
  } else {
    logout();
  }
  document.body.dataset.ready = "true";
}

start();
