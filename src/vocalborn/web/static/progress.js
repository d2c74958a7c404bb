// Follows one analysis task: WebSocket first (snapshot, then every change), falling back to
// polling the status endpoint about once a second when the socket fails or ends early.

import { api, NetworkError, wsUrl } from "./api.js";

export const TERMINAL = new Set(["success", "failure", "cancelled"]);
const POLL_MS = 1000;
const POLL_MAX_MS = 5000;
const FIRST_MESSAGE_MS = 4000;

export class TaskFollower {
  /**
   * onUpdate(state, mode): every change; state has the status endpoint's fields.
   * onDone(state): once, with the terminal state.
   * onNetwork(error): a poll could not reach the server (polling goes on, slower).
   */
  constructor(taskId, { onUpdate, onDone, onNetwork }) {
    this.taskId = taskId;
    this.onUpdate = onUpdate;
    this.onDone = onDone;
    this.onNetwork = onNetwork || (() => {});
    this.state = { task_id: taskId, status: "pending", progress: 0 };
    this.stopped = false;
    this.ws = null;
    this.timer = null;
    this.mode = null;
  }

  start() {
    if (typeof WebSocket === "undefined") return this.poll();
    this.openSocket();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.onerror = null;
      try {
        this.ws.close();
      } catch {
        /* already closed */
      }
      this.ws = null;
    }
  }

  apply(data) {
    if (this.stopped || !data || typeof data.status !== "string") return;
    const next = { ...this.state, ...data };
    // A stale poll or snapshot must not move the bar backwards within one status.
    if (next.status === this.state.status && next.status === "processing") {
      next.progress = Math.max(Number(this.state.progress) || 0, Number(next.progress) || 0);
    }
    this.state = next;
    this.onUpdate(this.state, this.mode);
    if (TERMINAL.has(this.state.status)) {
      const state = this.state;
      this.stop();
      this.onDone(state);
    }
  }

  openSocket() {
    this.mode = "ws";
    let ws;
    try {
      ws = new WebSocket(wsUrl(`/tasks/ws/task/${this.taskId}`));
    } catch {
      return this.poll();
    }
    this.ws = ws;
    let heard = false;
    const fallback = () => {
      if (this.stopped || this.ws !== ws) return;
      this.ws = null;
      ws.onclose = null;
      ws.onerror = null;
      try {
        ws.close();
      } catch {
        /* ignore */
      }
      this.poll();
    };
    this.timer = setTimeout(() => {
      if (!heard) fallback();
    }, FIRST_MESSAGE_MS);
    ws.onmessage = (ev) => {
      heard = true;
      let data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.apply(data);
    };
    // Closed before a terminal state (refused, Redis down, server restart): poll instead.
    ws.onerror = fallback;
    ws.onclose = fallback;
  }

  async poll(delay = 0) {
    if (this.stopped) return;
    this.mode = "poll";
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      if (this.stopped) return;
      let wait = POLL_MS;
      try {
        this.apply(await api.get(`/tasks/analysis/${this.taskId}/status`));
      } catch (exc) {
        if (exc instanceof NetworkError || (exc.status >= 502 && exc.status <= 504)) {
          this.onNetwork(exc);
          wait = Math.min(POLL_MAX_MS, Math.max(delay, POLL_MS) * 2);
        } else if (exc.status === 404 || exc.status === 401) {
          this.stop();
          this.onDone({ ...this.state, status: "failure", error_message: exc.message, lost: true });
          return;
        } else {
          this.onNetwork(exc);
          wait = POLL_MAX_MS;
        }
      }
      this.poll(wait);
    }, delay);
  }
}
