// The chat page's script (ES2020 modules, no libraries), entry point: what the person does
// in the views (name, lobby, room, composer), the console/test handle `window.raafChat`, and
// the start. The modules it imports:
//   chat/state.js      the page's elements and state, the name in localStorage, the room in the URL hash
//   chat/dom.js        building elements (text only ever as text nodes) and formatting text
//   chat/connection.js the WebSocket, its reconnect loop (backoff with jitter) and keepalive
//   chat/frames.js     the handlers of the server's frames
//   chat/messages.js   chat messages (each shown once, by seq) and earlier history
//   chat/answers.js    streamed answers and their tool calls
//   chat/typing.js     typing indicators, ours and others'
//   chat/views.js      the views, the room list, members, toasts and notices
// A module only declares functions and wires its own listeners when loaded; the page
// starts here, after every module is loaded.

import { NAME_KEY, state, store, ui } from './chat/state.js';
import { connect, dropConnection, send } from './chat/connection.js';
import { scrollToBottom } from './chat/messages.js';
import { stopTyping, typed } from './chat/typing.js';
import { autosize, joinRoom, leaveRoom, openMembers, requestRooms, showView, toast } from './chat/views.js';

ui.nameForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.nameInput.value.trim().slice(0, 40);
  if (!name) { ui.nameInput.focus(); return; }
  state.name = name;
  store(NAME_KEY, name);
  showView('lobby');
  if (state.wantRoom) joinRoom(state.wantRoom);
});
ui.changeName.addEventListener('click', () => showView('name'));
ui.refreshRooms.addEventListener('click', requestRooms);

ui.createForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = ui.roomInput.value.trim();
  if (!room) return;
  const frame = { type: 'create_room', room };
  if (ui.agentSelect.value) frame.agent = ui.agentSelect.value;
  if (!send(frame)) { toast('Not connected yet: try again in a moment.', null); return; }
  state.pendingCreate = room;
  ui.roomInput.value = '';
});

ui.leave.addEventListener('click', leaveRoom);
ui.notice.addEventListener('click', () => { ui.notice.hidden = true; });
ui.membersToggle.addEventListener('click', () => openMembers(!ui.members.classList.contains('open')));
ui.scrim.addEventListener('click', () => openMembers(false));
document.addEventListener('keydown', (event) => { if (event.key === 'Escape') openMembers(false); });

ui.input.addEventListener('input', () => { autosize(); typed(); });
ui.input.addEventListener('blur', stopTyping);
ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); ui.composer.requestSubmit(); }
});
ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const content = ui.input.value.trim();
  if (!content || !state.room) return;
  stopTyping();
  if (!state.joined || !send({ type: 'chat_message', room: state.room, content })) {
    toast('Not connected: the message was not sent.', null);
    return;
  }
  state.lastSent = content;
  ui.input.value = '';
  autosize();
  scrollToBottom();
});

// For tests and the console: the connection's state, and a way to cut it.
window.raafChat = Object.freeze({
  dropConnection,
  snapshot: () => ({
    online: state.online, clientId: state.clientId, room: state.room, joined: state.joined,
    agent: state.agent, specialists: [...state.specialists],
    attempt: state.attempt, resumes: state.resumes, streams: [...state.streams.keys()], seqs: [...state.bySeq.keys()],
  }),
});

showView(state.name ? 'lobby' : 'name');
if (!state.name) ui.nameInput.focus();
connect();
