// The first half of the chat page's script (ES2020, no libraries): its state, the
// connection with its reconnect loop and keepalive, and the handlers of the server's frames.
// ChatPage+Rendering.swift holds the second half; ChatPage.html puts them together, so the
// function opened here is closed there.
//
// Keep the raw string's text and its closing delimiter at column 0 (see ChatPage+HTML.swift).
extension ChatPage {
    static let scriptConnection = #"""
'use strict';
(() => {
  const NAME_KEY = 'raaf-chat.name';
  const BACKOFF_BASE_MS = 500, BACKOFF_CAP_MS = 10000, STABLE_AFTER_MS = 5000, GREETING_TIMEOUT_MS = 10000;
  const PING_EVERY_MS = 20000, SILENCE_LIMIT_MS = 45000;
  const TYPING_IDLE_MS = 3000, TYPING_REPEAT_MS = 4000, TYPING_EXPIRE_MS = 10000;
  const ROOM_REFRESH_MS = 10000, HISTORY_PAGE = 50, NEAR_BOTTOM_PX = 96, NOTICE_MS = 12000;

  const $ = (id) => document.getElementById(id);
  const ui = {
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

  const state = {
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

  // ---- small helpers ----

  function load(key) { try { return localStorage.getItem(key); } catch { return null; } }
  function store(key, value) { try { localStorage.setItem(key, value); } catch { /* storage is off */ } }

  function roomFromHash() {
    const match = /^#room=(.+)$/.exec(location.hash);
    if (!match) return null;
    try { return decodeURIComponent(match[1]) || null; } catch { return null; }
  }
  function setHash(room) {
    const url = location.pathname + location.search + (room ? '#room=' + encodeURIComponent(room) : '');
    try { history.replaceState(null, '', url); } catch { /* not allowed here */ }
  }

  // Builds an element; strings among the children become text nodes (never HTML).
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === 'class') el.className = value;
        else el.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
    return el;
  }
  function dots() { return h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')); }
  function clip(text, max) { const s = String(text); return s.length > max ? s.slice(0, max - 1) + '…' : s; }
  function hue(text) { let n = 0; for (const c of String(text)) n = (n * 31 + c.codePointAt(0)) % 360; return n; }
  function initial(name) { const first = [...String(name).trim()][0]; return first ? first.toUpperCase() : '?'; }
  function timeLabel(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  function asText(value) {
    if (typeof value === 'string') return value;
    try { return JSON.stringify(value) ?? ''; } catch { return String(value); }
  }
  function formatArguments(value) {
    let parsed = value;
    if (typeof parsed === 'string') { try { parsed = JSON.parse(parsed); } catch { return parsed; } }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.entries(parsed).map(([key, v]) => `${key}: ${typeof v === 'string' ? v : asText(v)}`).join(', ');
    }
    return asText(parsed);
  }

  // ---- connection ----

  function socketURL() { return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws'; }

  function connect() {
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
  function dropConnection() {
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

  function send(frame) {
    const ws = state.ws;
    if (!ws || !state.online || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function setStatus(kind, label) {
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

  // ---- frames ----

  const inRoom = (frame) => state.room !== null && frame.room === state.room;

  const handlers = {
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
"""#
}
