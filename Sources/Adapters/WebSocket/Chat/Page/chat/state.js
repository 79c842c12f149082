// The page's elements, looked up once, and its state; the name kept in localStorage and
// the room kept in the URL hash (`#room=NAME`), so a reload comes back to the room.

export const NAME_KEY = 'raaf-chat.name';

const $ = (id) => document.getElementById(id);
export const ui = {
  app: document.querySelector('.app'),
  status: $('status'), statusLabel: $('status-label'),
  roomHead: $('room-head'), roomTitle: $('room-title'), roomSub: $('room-sub'),
  membersToggle: $('members-toggle'), memberCount: $('member-count'),
  views: { name: $('view-name'), lobby: $('view-lobby'), room: $('view-room') },
  nameForm: $('name-form'), nameInput: $('name-input'),
  roomList: $('room-list'), noRooms: $('no-rooms'), refreshRooms: $('refresh-rooms'),
  createForm: $('create-form'), roomInput: $('room-input'), agentSelect: $('agent-select'),
  whoami: $('whoami'), changeName: $('change-name'), leave: $('leave-button'),
  notice: $('handoff-notice'), messages: $('messages'), items: $('items'), loadEarlier: $('load-earlier'),
  typing: $('typing'), composer: $('composer'), input: $('message-input'), send: $('send-button'),
  members: $('members'), agentItems: $('agent-items'), memberItems: $('member-items'),
  specialistsBox: $('specialists-box'), specialistItems: $('specialist-items'), scrim: $('scrim'),
  toasts: $('toasts'),
};

export const state = {
  ws: null,              // the socket in use; events of any other socket are ignored
  online: false,         // greeted (`connected`) on `ws`
  clientId: null,
  attempt: 0,            // reconnect attempts since the last stable connection
  reconnectAt: 0, restartReconnectAt: 0, reconnectTimer: null, countdownTimer: null, stableTimer: null, greetingTimer: null,
  lastHeard: 0,
  name: load(NAME_KEY) || '',
  view: null,
  room: null,            // the room on screen
  wantRoom: roomFromHash(), // the room to join (again) as soon as the connection is up
  joined: false,         // whether the server has this connection in `room`
  me: null,              // our name in the room, as the server took it
  agent: null, specialists: [],
  members: new Map(),    // client_id -> user
  bySeq: new Map(),      // seq -> the message's element: a message is shown once
  streams: new Map(),    // stream id -> the answer streaming into a bubble
  typing: new Map(),     // client_id -> { user, timer }
  sawSystem: false,      // the server writes join/leave/handoff lines itself
  eventLines: [],        // lines this page wrote for those events until then
  hasMore: null, historyPending: false,
  resumes: 0,            // answers picked up again from room_joined.streaming
  myTyping: false, typingSentAt: 0, typingIdle: null,
  pendingCreate: null, lastSent: '', noticeTimer: null,
};

function load(key) { try { return localStorage.getItem(key); } catch { return null; } }
export function store(key, value) { try { localStorage.setItem(key, value); } catch { /* storage is off */ } }

function roomFromHash() {
  const match = /^#room=(.+)$/.exec(location.hash);
  if (!match) return null;
  try { return decodeURIComponent(match[1]) || null; } catch { return null; }
}
export function setHash(room) {
  const url = location.pathname + location.search + (room ? '#room=' + encodeURIComponent(room) : '');
  try { history.replaceState(null, '', url); } catch { /* not allowed here */ }
}
