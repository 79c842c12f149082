// Streamed answers: the bubble an agent's answer streams into, token by token, with its
// tool calls and a stop button; resumed after a reconnect; replaced by the final message.

import { state, ui } from './state.js';
import { asText, clip, dots, formatArguments, h, timeLabel } from './dom.js';
import { send } from './connection.js';
import { addTag, nearBottom, scrollToBottom } from './messages.js';

export function ensureStream(id, agent) {
  let s = state.streams.get(id);
  if (s) {
    if (agent && agent !== s.agent) { s.agent = agent; s.authorEl.textContent = agent; s.el.dataset.agent = agent; }
    return s;
  }
  const stopEl = h('button', { type: 'button', class: 'stop', 'data-testid': 'stop-stream', title: 'Stop this answer' }, 'Stop');
  stopEl.addEventListener('click', () => {
    if (send({ type: 'stop_stream', room: state.room })) { stopEl.disabled = true; stopEl.textContent = 'Stopping…'; }
  });
  const authorEl = h('span', { class: 'author' }, agent || 'agent');
  const dotsEl = dots();
  const metaEl = h('div', { class: 'meta' }, authorEl, h('span', { class: 'badge' }, 'agent'), dotsEl, stopEl);
  const toolsEl = h('div', { class: 'tools' });
  const textEl = h('div', { class: 'text', 'data-testid': 'message-text' });
  const waitEl = dots();
  const el = h('div', {
    class: 'msg agent other streaming', 'data-testid': 'streaming-bubble',
    'data-stream': id, 'data-agent': agent || '', 'data-chunks': '0',
  }, metaEl, h('div', { class: 'bubble' }, toolsEl, waitEl, textEl));
  s = { id, agent: agent || '', seq: 0, text: '', chunks: 0, ended: false, stopped: false,
    el, metaEl, authorEl, dotsEl, waitEl, stopEl, toolsEl, textEl, tools: new Map() };
  state.streams.set(id, s);
  const stick = nearBottom();
  ui.items.append(el);
  if (stick) scrollToBottom();
  return s;
}

// After a reconnect: the server's content so far replaces what the bubble has, and
// chunks up to its seq are skipped.
export function resumeStream(live) {
  const s = ensureStream(live.stream, live.agent);
  state.resumes += 1;
  s.ended = false;
  s.seq = typeof live.seq === 'number' ? live.seq : s.seq;
  s.text = typeof live.content === 'string' ? live.content : s.text;
  s.textEl.textContent = s.text;
  s.el.classList.toggle('has-text', s.text.length > 0);
}

// The open bubble an agent's final message belongs to: that agent's (an ended one
// first), else the only bubble left when it has ended.
export function streamFor(m, exclude) {
  const open = [...state.streams.values()].filter((s) => s.id !== exclude);
  return open.find((s) => s.ended && s.agent === m.user)
    || open.find((s) => s.agent === m.user)
    || (open.length === 1 && open[0].ended ? open[0] : null);
}

export function finishStream(s, m) {
  state.streams.delete(s.id);
  const el = s.el;
  el.remove();
  el.classList.remove('streaming', 'ended', 'has-text');
  el.dataset.testid = 'message';
  el.dataset.seq = String(m.seq);
  el.dataset.sender = 'agent';
  el.dataset.user = m.user || s.agent;
  s.stopEl.remove(); s.dotsEl.remove(); s.waitEl.remove();
  s.authorEl.textContent = m.user || s.agent;
  const time = timeLabel(m.sent_at);
  if (time) s.metaEl.append(h('time', { datetime: m.sent_at }, time));
  if (m.stopped) addTag(s.metaEl, 'stopped');
  s.textEl.textContent = typeof m.content === 'string' ? m.content : s.text;
  return el;
}

export function toolChip(s, callId, name) {
  const key = callId || name || String(s.tools.size);
  let tool = s.tools.get(key);
  if (!tool) {
    const argsEl = h('span', { class: 'args' });
    const outEl = h('span', { class: 'out' }, 'running…');
    const el = h('div', { class: 'tool', 'data-testid': 'tool-call', 'data-call-id': callId || '', 'data-name': name || '', 'data-state': 'running' },
      h('span', { class: 'call' }, h('span', { 'aria-hidden': 'true' }, '⚙'), h('span', { class: 'name' }, name || 'tool'), argsEl),
      h('span', { class: 'result' }, h('span', { 'aria-hidden': 'true' }, '→'), outEl));
    tool = {
      el, args: '',
      set(value) {
        this.args = formatArguments(value ?? '');
        argsEl.textContent = `(${clip(this.args, 60)})`;
        el.title = `${name}(${this.args})`;
      },
      done(output, isError) {
        const text = asText(output ?? '');
        outEl.textContent = clip(text, 120);
        el.dataset.state = isError ? 'error' : 'done';
        el.title = `${name}(${this.args}) → ${clip(text, 1000)}`;
      },
    };
    s.tools.set(key, tool);
    s.toolsEl.append(el);
  }
  return tool;
}
