// The connection: one WebSocket at `/ws` on the page's own host, reconnected by itself
// (exponential backoff with jitter, at most 10 s apart; at once after 1012), a keepalive
// `ping` that notices a connection that died without a close, and `send`.

import { state, ui } from './state.js';
import { handlers } from './frames.js';
import { clearTyping } from './typing.js';
import { updateComposer } from './views.js';

const BACKOFF_BASE_MS = 500, BACKOFF_CAP_MS = 10000, GREETING_TIMEOUT_MS = 10000;
// A connection that lasts this long resets the backoff.
export const STABLE_AFTER_MS = 5000;
const PING_EVERY_MS = 20000, SILENCE_LIMIT_MS = 45000;

function socketURL() { return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws'; }

export function connect() {
  clearTimeout(state.reconnectTimer); clearInterval(state.countdownTimer);
  state.reconnectTimer = null;
  if (state.ws) return;
  setStatus('connecting', 'Connecting…');
  let ws;
  try { ws = new WebSocket(socketURL()); } catch (error) { console.warn('chat: cannot connect', error); scheduleReconnect(); return; }
  state.ws = ws;
  state.greetingTimer = setTimeout(() => { if (ws === state.ws && !state.online) dropConnection(); }, GREETING_TIMEOUT_MS);
  ws.addEventListener('message', (event) => {
    if (ws !== state.ws) return;
    state.lastHeard = Date.now();
    let frame;
    try { frame = JSON.parse(event.data); } catch { return; }
    if (!frame || typeof frame.type !== 'string') return;
    const handler = handlers[frame.type];
    if (!handler) return;
    try { handler(frame); } catch (error) { console.error('chat: frame', frame.type, error); }
  });
  ws.addEventListener('close', (event) => { if (ws === state.ws) disconnected(event.code); });
}

// Leaves the socket as if the network had gone away: the page reconnects by itself.
export function dropConnection() {
  const ws = state.ws;
  if (!ws) return;
  disconnected();
  try { ws.close(); } catch { /* already closed */ }
}

// 1012 (service restart): the server drains for a deploy; reconnect now, without the
// backoff, and the load balancer sends the new connection to another node.
const SERVICE_RESTART = 1012;

function disconnected(code) {
  state.ws = null; state.online = false; state.joined = false; state.clientId = null;
  clearTimeout(state.stableTimer); clearTimeout(state.greetingTimer);
  clearTimeout(state.typingIdle); state.myTyping = false;  // the server lets it expire
  clearTyping();
  updateComposer();
  // At most once per STABLE_AFTER_MS, so a server that keeps restarting gets the backoff.
  if (code === SERVICE_RESTART && Date.now() - state.restartReconnectAt > STABLE_AFTER_MS) {
    state.restartReconnectAt = Date.now();
    setStatus('connecting', 'Server restarting · reconnecting…');
    connect();
  } else {
    scheduleReconnect();
  }
}

// Exponential backoff with jitter: a delay between half and all of min(10 s, 0.5 s × 2^attempt).
function scheduleReconnect() {
  clearTimeout(state.reconnectTimer); clearInterval(state.countdownTimer);
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** state.attempt);
  const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  state.attempt = Math.min(state.attempt + 1, 16);
  state.reconnectAt = Date.now() + delay;
  const countdown = () => {
    const seconds = Math.max(0, Math.ceil((state.reconnectAt - Date.now()) / 1000));
    setStatus('offline', seconds > 0 ? `Offline · retry in ${seconds} s` : 'Offline · retrying');
  };
  countdown();
  state.countdownTimer = setInterval(countdown, 1000);
  state.reconnectTimer = setTimeout(connect, delay);
}

function reconnectNow() {
  if (state.ws) return;
  state.attempt = 0;
  connect();
}

export function send(frame) {
  const ws = state.ws;
  if (!ws || !state.online || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(frame));
  return true;
}

export function setStatus(kind, label) {
  ui.status.dataset.state = kind;
  ui.statusLabel.textContent = label;
  ui.status.title = kind === 'offline' ? label + ' (click to retry now)' : label;
}

// Keepalive: the server's WebSocket pings are answered by the browser; this `ping` also
// tells the page when a connection died without a close.
setInterval(() => {
  if (!state.ws || !state.online) return;
  if (Date.now() - state.lastHeard > SILENCE_LIMIT_MS) { dropConnection(); return; }
  send({ type: 'ping' });
}, PING_EVERY_MS);
window.addEventListener('online', reconnectNow);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  if (!state.ws) reconnectNow(); else send({ type: 'ping' });
});
ui.status.addEventListener('click', () => { if (ui.status.dataset.state === 'offline') reconnectNow(); });
