// Chat messages: each shown once, by seq, in seq order; lines for joins, leaves and
// handoffs until the server shows it writes them itself; "Load earlier messages".

import { state, ui } from './state.js';
import { asText, h, timeLabel } from './dom.js';
import { send } from './connection.js';
import { finishStream, streamFor } from './answers.js';
import { dropTyping } from './typing.js';

const HISTORY_PAGE = 50, NEAR_BOTTOM_PX = 96;

export function nearBottom() { const box = ui.messages; return box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX; }
export function scrollToBottom() { ui.messages.scrollTop = ui.messages.scrollHeight; }

// Shows a chat message once (by seq) in seq order; an agent's final answer takes the
// place of the bubble it streamed into.
export function addMessage(m, options = {}) {
  if (!m || typeof m.seq !== 'number') return;
  if (m.sender === 'system') markSystemLines();
  if (state.bySeq.has(m.seq)) return;
  if (m.sender === 'user') for (const [id, t] of state.typing) if (t.user === m.user) dropTyping(id);
  const mine = m.sender === 'user' && m.user === state.me;
  const stick = !options.quiet && (mine || nearBottom());
  const s = m.sender === 'agent' ? streamFor(m, options.exclude) : null;
  const el = s ? finishStream(s, m) : messageElement(m, mine);
  state.bySeq.set(m.seq, el);
  placeBySeq(el, m.seq);
  if (stick) scrollToBottom();
}

function placeBySeq(el, seq) {
  let before = null;
  for (let node = ui.items.lastElementChild; node; node = node.previousElementSibling) {
    if (node === el || node.dataset.seq === undefined) continue;
    if (Number(node.dataset.seq) < seq) break;
    before = node;
  }
  ui.items.insertBefore(el, before);
}

function messageElement(m, mine) {
  const sender = ['user', 'agent', 'system'].includes(m.sender) ? m.sender : 'user';
  const content = typeof m.content === 'string' ? m.content : asText(m.content);
  if (sender === 'system') {
    return h('div', { class: 'msg system', 'data-testid': 'message', 'data-seq': m.seq, 'data-sender': 'system' },
      h('span', { class: 'text', 'data-testid': 'message-text' }, content));
  }
  const meta = h('div', { class: 'meta' });
  if (!mine) meta.append(h('span', { class: 'author' }, m.user || sender));
  if (sender === 'agent') meta.append(h('span', { class: 'badge' }, 'agent'));
  const time = timeLabel(m.sent_at);
  if (time) meta.append(h('time', { datetime: m.sent_at }, time));
  if (m.stopped) addTag(meta, 'stopped');
  return h('div', {
    class: `msg ${sender} ${mine ? 'mine' : 'other'}`, 'data-testid': 'message',
    'data-seq': m.seq, 'data-sender': sender, 'data-user': m.user || '',
  }, meta, h('div', { class: 'bubble' }, h('div', { class: 'text', 'data-testid': 'message-text' }, content)));
}

export function addTag(meta, text) {
  if ([...meta.querySelectorAll('.tag')].some((t) => t.textContent === text)) return;
  meta.append(h('span', { class: 'tag' }, text));
}

// Lines for joins, leaves and handoffs, until the server shows it writes them itself.
export function eventLine(text) {
  if (state.sawSystem || state.view !== 'room') return;
  const stick = nearBottom();
  const el = h('div', { class: 'msg system', 'data-testid': 'event-line' }, h('span', { class: 'text' }, text));
  ui.items.append(el);
  state.eventLines.push(el);
  if (stick) scrollToBottom();
}
export function markSystemLines() {
  if (state.sawSystem) return;
  state.sawSystem = true;
  for (const el of state.eventLines) el.remove();
  state.eventLines = [];
}

function minSeq() {
  let min = null;
  for (const seq of state.bySeq.keys()) if (min === null || seq < min) min = seq;
  return min;
}
export function updateEarlier() {
  const min = minSeq();
  ui.loadEarlier.hidden = !(min !== null && min > 1 && state.hasMore !== false);
  ui.loadEarlier.disabled = state.historyPending;
  ui.loadEarlier.textContent = state.historyPending ? 'Loading…' : 'Load earlier messages';
}
ui.loadEarlier.addEventListener('click', () => {
  const before = minSeq();
  if (before === null || state.historyPending) return;
  if (send({ type: 'get_history', room: state.room, before_seq: before, limit: HISTORY_PAGE })) {
    state.historyPending = true;
    updateEarlier();
  }
});
