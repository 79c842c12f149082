// Typing indicators: others' (each expiring by itself) and ours (typing_start repeated
// while typing, typing_stop when idle, sent, or blurred).

import { state, ui } from './state.js';
import { dots, h } from './dom.js';
import { send } from './connection.js';

const TYPING_IDLE_MS = 3000, TYPING_REPEAT_MS = 4000;
// Someone else's indicator goes away this long after their last typing_start.
export const TYPING_EXPIRE_MS = 10000;

export function dropTyping(clientId) {
  const t = state.typing.get(clientId);
  if (!t) return;
  clearTimeout(t.timer);
  state.typing.delete(clientId);
  renderTyping();
}
export function clearTyping() {
  for (const t of state.typing.values()) clearTimeout(t.timer);
  state.typing.clear();
  renderTyping();
}
export function renderTyping() {
  const names = [...new Set([...state.typing.values()].map((t) => t.user))];
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = `${names.length} people are typing…`;
  if (text) ui.typing.replaceChildren(dots(), h('span', null, text));
  else ui.typing.replaceChildren();
  ui.typing.dataset.active = text ? 'true' : 'false';
}

export function typed() {
  if (!state.joined) return;
  if (!ui.input.value.trim()) { stopTyping(); return; }
  const now = Date.now();
  if (!state.myTyping || now - state.typingSentAt >= TYPING_REPEAT_MS) {
    if (send({ type: 'typing_start', room: state.room })) { state.myTyping = true; state.typingSentAt = now; }
  }
  clearTimeout(state.typingIdle);
  state.typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
}
export function stopTyping() {
  clearTimeout(state.typingIdle);
  state.typingIdle = null;
  if (!state.myTyping) return;
  state.myTyping = false;
  if (state.joined) send({ type: 'typing_stop', room: state.room });
}
