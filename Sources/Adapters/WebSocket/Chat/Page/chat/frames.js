// The handlers of the server's frames, by `type`: the greeting, errors, rooms, members,
// messages, history, streamed answers, handoffs and typing. Frames of another room than
// the one on screen are ignored.

import { setHash, state, ui } from './state.js';
import { send, setStatus, STABLE_AFTER_MS } from './connection.js';
import { addMessage, addTag, eventLine, markSystemLines, nearBottom, scrollToBottom, updateEarlier } from './messages.js';
import { ensureStream, resumeStream, toolChip } from './answers.js';
import { dropTyping, renderTyping, TYPING_EXPIRE_MS } from './typing.js';
import { autosize, joinRoom, renderMembers, renderRoomHeader, renderRooms, requestRooms, resetRoom, showNotice, showView, toast, updateComposer } from './views.js';

const inRoom = (frame) => state.room !== null && frame.room === state.room;

export const handlers = {
  connected(f) {
    clearTimeout(state.greetingTimer);
    state.online = true;
    state.clientId = f.client_id || null;
    clearTimeout(state.stableTimer);
    state.stableTimer = setTimeout(() => { state.attempt = 0; }, STABLE_AFTER_MS);
    setStatus('online', 'Online');
    if (f.authentication_required) toast('This server requires authentication, which this page does not support.', 'unauthorized');
    if (state.name) {
      if (state.wantRoom) joinRoom(state.wantRoom);
      else if (state.view === 'lobby') requestRooms();
    }
    updateComposer();
  },

  pong() {},
  chat_stats() {},

  error(f) {
    const code = f.code || 'error', request = f.request_type || '';
    const message = f.message || 'The server refused the request.';
    if (request === 'ping' || request.startsWith('typing_')) return;
    if (request === 'join_room' && !state.joined) {
      const room = state.wantRoom;
      if (room && state.room === room && (code === 'rate_limited' || code === 'server_busy')) {
        // Back after a reconnect but the server is busy: stay in the room and ask again.
        setTimeout(() => { if (state.wantRoom === room && !state.joined) joinRoom(room); }, 2000 + Math.random() * 2000);
        return;
      }
      state.wantRoom = null;
      if (state.room) { resetRoom(); state.room = null; }
      setHash(null);
      showView(state.name ? 'lobby' : 'name');
      toast(room ? `Could not join “${room}”: ${message}` : message, code);
      return;
    }
    if (request === 'create_room' && state.pendingCreate) {
      const room = state.pendingCreate;
      state.pendingCreate = null;
      if (code === 'room_exists') { toast(`“${room}” already exists — joining it.`, null, 'info'); joinRoom(room); return; }
    }
    if (request === 'chat_message' && state.lastSent && !ui.input.value) { ui.input.value = state.lastSent; autosize(); }
    if (request === 'get_history') { state.historyPending = false; updateEarlier(); }
    if (request === 'stop_stream') for (const s of state.streams.values()) { s.stopEl.disabled = false; s.stopEl.textContent = 'Stop'; }
    toast(message, code);
  },

  rooms(f) { renderRooms(Array.isArray(f.rooms) ? f.rooms : []); },

  room_created(f) {
    if (f.room !== state.pendingCreate) { if (state.view === 'lobby') requestRooms(); return; }
    state.pendingCreate = null;
    joinRoom(f.room);
    // The page's other agents join the new room as specialists (after the join, which
    // add_agent needs), so its agent can hand over ("transfer me to support") and anyone
    // can ask for one from the members list.
    if (f.agent) {
      for (const option of ui.agentSelect.options) {
        if (option.value && option.value !== f.agent) send({ type: 'add_agent', room: f.room, agent: option.value });
      }
    }
  },

  room_joined(f) {
    if (f.room !== state.wantRoom && f.room !== state.room) { send({ type: 'leave_room', room: f.room }); return; }
    const rejoin = state.room === f.room;
    if (!rejoin) resetRoom();
    state.room = f.room; state.wantRoom = f.room; state.joined = true;
    state.me = f.user || state.name;
    state.agent = f.agent || null;
    state.specialists = Array.isArray(f.specialists) ? f.specialists.slice() : [];
    state.members = new Map((Array.isArray(f.members) ? f.members : []).map((m) => [m.client_id, m.user]));
    if (state.view !== 'room') showView('room');
    const stick = !rejoin || nearBottom();
    const history = Array.isArray(f.history) ? f.history.slice().sort((a, b) => a.seq - b.seq) : [];
    if (history.some((m) => m && m.sender === 'system')) markSystemLines();
    // The answer still streaming, with its content so far; an answer that was streaming
    // before the connection dropped and is over now finds its final message in the history.
    const live = f.streaming && f.streaming.stream ? f.streaming : null;
    for (const m of history) addMessage(m, { quiet: true, exclude: live && live.stream });
    for (const s of [...state.streams.values()]) {
      if (!live || s.id !== live.stream) { s.el.remove(); state.streams.delete(s.id); }
    }
    if (live) resumeStream(live);
    setHash(f.room);
    renderRoomHeader(); renderMembers(); updateEarlier(); updateComposer();
    if (stick) scrollToBottom();
    if (!rejoin && matchMedia('(pointer: fine)').matches) ui.input.focus({ preventScroll: true });
  },

  room_left(f) {
    if (f.room !== state.room) return;
    state.wantRoom = null; state.room = null; state.joined = false;
    resetRoom(); setHash(null); showView('lobby');
  },

  user_joined(f) {
    if (!inRoom(f) || f.client_id === state.clientId) return;
    state.members.set(f.client_id, f.user);
    renderMembers(); renderRoomHeader();
    eventLine(`${f.user} joined`);
  },

  user_left(f) {
    if (!inRoom(f) || f.client_id === state.clientId) return;
    state.members.delete(f.client_id);
    dropTyping(f.client_id);
    renderMembers(); renderRoomHeader();
    eventLine(`${f.user} left`);
  },

  chat_message(f) { if (inRoom(f)) addMessage(f); },

  history(f) {
    if (!inRoom(f)) return;
    state.historyPending = false;
    state.hasMore = Boolean(f.has_more);
    const box = ui.messages, height = box.scrollHeight, top = box.scrollTop;
    for (const m of Array.isArray(f.messages) ? f.messages : []) addMessage(m, { quiet: true });
    box.scrollTop = top + (box.scrollHeight - height);
    updateEarlier();
  },

  agent_typing_start(f) {
    if (!inRoom(f) || !f.stream) return;
    ensureStream(f.stream, f.agent).ended = false;
  },

  response_chunk(f) {
    if (!inRoom(f) || !f.stream) return;
    const s = ensureStream(f.stream, f.agent);
    if (typeof f.seq === 'number') {
      if (f.seq <= s.seq) return;  // already in the content the page resumed from
      s.seq = f.seq;
    }
    const piece = typeof f.content === 'string' ? f.content : '';
    if (!piece) return;
    const stick = nearBottom();
    s.text += piece;
    s.textEl.append(piece);
    s.chunks += 1;
    s.el.dataset.chunks = String(s.chunks);
    s.el.classList.add('has-text');
    if (stick) scrollToBottom();
  },

  tool_call(f) {
    if (!inRoom(f) || !f.stream) return;
    const s = ensureStream(f.stream, f.agent);
    const stick = nearBottom();
    toolChip(s, f.call_id, f.name).set(f.arguments);
    if (stick) scrollToBottom();
  },

  tool_output(f) {
    if (!inRoom(f) || !f.stream) return;
    const s = ensureStream(f.stream, f.agent);
    toolChip(s, f.call_id, f.name).done(f.output, Boolean(f.is_error));
  },

  agent_typing_stop(f) {
    if (!inRoom(f)) return;
    const s = state.streams.get(f.stream);
    if (!s) return;
    s.ended = true;
    s.el.classList.add('ended');
    s.stopEl.remove(); s.dotsEl.remove(); s.waitEl.remove();
    if (f.stopped) { s.stopped = true; addTag(s.metaEl, 'stopped'); }
  },

  agent_handoff(f) {
    if (!inRoom(f)) return;
    state.agent = f.to || state.agent;
    renderRoomHeader(); renderMembers();
    const by = f.requested_by ? ` (asked by ${f.requested_by})` : '';
    const reason = f.reason ? `: ${f.reason}` : '';
    showNotice(`Handoff: ${f.from} → ${f.to}${by}${reason}`);
    eventLine(`${f.from} handed the conversation to ${f.to}${reason}`);
  },

  agent_added(f) {
    if (!inRoom(f) || !f.agent) return;
    if (!state.specialists.includes(f.agent)) state.specialists.push(f.agent);
    renderMembers();
    eventLine(`${f.agent} was added to the room`);
  },

  typing_start(f) {
    if (!inRoom(f) || f.client_id === state.clientId) return;
    const previous = state.typing.get(f.client_id);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => dropTyping(f.client_id), TYPING_EXPIRE_MS);
    state.typing.set(f.client_id, { user: f.user, timer });
    renderTyping();
  },

  typing_stop(f) { if (inRoom(f)) dropTyping(f.client_id); },
};
