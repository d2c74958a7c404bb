// The API client: bearer token, JSON, the API's error shape, network failures.
//   ApiError      the server answered with an error: {status, code, message, body}
//   NetworkError  the server could not be reached (fetch threw)
// Listeners: onUnauthorized() after a 401 on an authenticated call, onNetwork(ok) on every
// call (false when the server cannot be reached, true when it answered).

const BASE = "/api/v1";
const TOKEN_KEY = "vb.token";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export class NetworkError extends Error {}

const listeners = { onUnauthorized: () => {}, onNetwork: () => {} };

export function on(name, fn) {
  listeners[name] = fn;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

async function errorFrom(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  const err = body && body.error ? body.error : {};
  const message = err.message || `${resp.status} ${resp.statusText || "error"}`;
  return new ApiError(resp.status, err.code || "error", message, err);
}

export async function request(method, path, { json, form, auth = true, raw = false } = {}) {
  const headers = {};
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const tok = token();
  if (auth && tok) headers.Authorization = `Bearer ${tok}`;
  let resp;
  try {
    resp = await fetch(BASE + path, { method, headers, body });
  } catch (exc) {
    listeners.onNetwork(false);
    throw new NetworkError(String(exc && exc.message ? exc.message : exc));
  }
  // A proxy in front of a stopped API answers 502/503/504 without our error shape.
  const down = resp.status >= 502 && resp.status <= 504;
  listeners.onNetwork(!down);
  if (!resp.ok) {
    const error = await errorFrom(resp);
    if (resp.status === 401 && auth) listeners.onUnauthorized(error);
    throw error;
  }
  if (raw) return resp;
  if (resp.status === 204) return null;
  return resp.json();
}

export const api = {
  get: (path, opts) => request("GET", path, opts),
  post: (path, json, opts = {}) => request("POST", path, { ...opts, json }),
  put: (path, form, opts = {}) => request("PUT", path, { ...opts, form }),
  del: (path, opts) => request("DELETE", path, opts),
};

// Audio files need the bearer token, so they are fetched and played from a blob URL.
export async function audioUrl(path) {
  const resp = await request("GET", path, { raw: true });
  return URL.createObjectURL(await resp.blob());
}

export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${BASE}${path}?token=${encodeURIComponent(token() || "")}`;
}
