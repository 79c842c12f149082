// The second half of the chat page's script: messages (each shown once, by seq), streamed
// answers and tool calls, typing indicators, the views and what the person does in them.
// Text from the server or from people is only ever written with `textContent` or text
// nodes, never parsed as HTML.
//
// Keep the raw string's text and its closing delimiter at column 0 (see ChatPage+HTML.swift).
extension ChatPage {
    static let scriptRendering = #"""
  // ---- messages ----

  function nearBottom() { const box = ui.messages; return box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX; }
  function scrollToBottom() { ui.messages.scrollTop = ui.messages.scrollHeight; }

  // Shows a chat message once (by seq) in seq order; an agent's final answer takes the
  // place of the bubble it streamed into.
  function addMessage(m, options = {}) {
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

  function addTag(meta, text) {
    if ([...meta.querySelectorAll('.tag')].some((t) => t.textContent === text)) return;
    meta.append(h('span', { class: 'tag' }, text));
  }

  // Lines for joins, leaves and handoffs, until the server shows it writes them itself.
  function eventLine(text) {
    if (state.sawSystem || state.view !== 'room') return;
    const stick = nearBottom();
    const el = h('div', { class: 'msg system', 'data-testid': 'event-line' }, h('span', { class: 'text' }, text));
    ui.items.append(el);
    state.eventLines.push(el);
    if (stick) scrollToBottom();
  }
  function markSystemLines() {
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
  function updateEarlier() {
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

  // ---- streamed answers ----

  function ensureStream(id, agent) {
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
  function resumeStream(live) {
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
  function streamFor(m, exclude) {
    const open = [...state.streams.values()].filter((s) => s.id !== exclude);
    return open.find((s) => s.ended && s.agent === m.user)
      || open.find((s) => s.agent === m.user)
      || (open.length === 1 && open[0].ended ? open[0] : null);
  }

  function finishStream(s, m) {
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

  function toolChip(s, callId, name) {
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

  // ---- typing ----

  function dropTyping(clientId) {
    const t = state.typing.get(clientId);
    if (!t) return;
    clearTimeout(t.timer);
    state.typing.delete(clientId);
    renderTyping();
  }
  function clearTyping() {
    for (const t of state.typing.values()) clearTimeout(t.timer);
    state.typing.clear();
    renderTyping();
  }
  function renderTyping() {
    const names = [...new Set([...state.typing.values()].map((t) => t.user))];
    let text = '';
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = `${names.length} people are typing…`;
    if (text) ui.typing.replaceChildren(dots(), h('span', null, text));
    else ui.typing.replaceChildren();
    ui.typing.dataset.active = text ? 'true' : 'false';
  }

  function typed() {
    if (!state.joined) return;
    if (!ui.input.value.trim()) { stopTyping(); return; }
    const now = Date.now();
    if (!state.myTyping || now - state.typingSentAt >= TYPING_REPEAT_MS) {
      if (send({ type: 'typing_start', room: state.room })) { state.myTyping = true; state.typingSentAt = now; }
    }
    clearTimeout(state.typingIdle);
    state.typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  }
  function stopTyping() {
    clearTimeout(state.typingIdle);
    state.typingIdle = null;
    if (!state.myTyping) return;
    state.myTyping = false;
    if (state.joined) send({ type: 'typing_stop', room: state.room });
  }

  // ---- views ----

  function showView(view) {
    state.view = view;
    for (const [key, el] of Object.entries(ui.views)) el.hidden = key !== view;
    ui.app.dataset.view = view;
    ui.roomHead.hidden = view !== 'room';
    ui.membersToggle.hidden = view !== 'room';
    openMembers(false);
    if (view === 'name') { ui.nameInput.value = state.name; document.title = 'RAAF chat'; }
    if (view === 'lobby') { ui.whoami.textContent = state.name; document.title = 'Rooms · RAAF chat'; requestRooms(); }
  }

  function requestRooms() { send({ type: 'list_rooms' }); }
  setInterval(() => { if (state.view === 'lobby' && !document.hidden) requestRooms(); }, ROOM_REFRESH_MS);

  function renderRooms(rooms) {
    rooms.sort((a, b) => String(a.room).localeCompare(String(b.room)));
    ui.roomList.replaceChildren(...rooms.map((r) => {
      const join = h('button', { type: 'button', class: 'primary compact', 'data-testid': 'join-room', 'data-room': r.room }, 'Join');
      join.addEventListener('click', () => joinRoom(r.room));
      const details = [`${r.participants ?? 0} here`, r.agent ? `agent: ${r.agent}` : 'people only'];
      if (r.restricted) details.push('restricted');
      const badge = h('span', { class: 'room-badge', 'aria-hidden': 'true' }, initial(r.room));
      badge.style.setProperty('--hue', hue(r.room));
      return h('li', { 'data-testid': 'room-item', 'data-room': r.room }, badge,
        h('div', { class: 'room-info' }, h('div', { class: 'name' }, r.room), h('div', { class: 'sub' }, details.join(' · '))), join);
    }));
    ui.noRooms.hidden = rooms.length > 0;
  }

  function joinRoom(room) {
    state.wantRoom = room;
    send({ type: 'join_room', room, user: state.name });  // offline: joined once connected
  }

  function leaveRoom() {
    stopTyping();
    if (state.room && state.joined) send({ type: 'leave_room', room: state.room });
    state.wantRoom = null; state.room = null; state.joined = false;
    resetRoom(); setHash(null); showView('lobby');
  }

  function resetRoom() {
    ui.items.replaceChildren();
    state.bySeq.clear(); state.streams.clear(); clearTyping();
    state.members.clear(); state.agent = null; state.specialists = [];
    state.sawSystem = false; state.eventLines = [];
    state.hasMore = null; state.historyPending = false;
    clearTimeout(state.noticeTimer); ui.notice.hidden = true;
    updateEarlier();
  }

  function renderRoomHeader() {
    ui.roomTitle.textContent = state.room || '';
    const people = state.members.size === 1 ? '1 person' : `${state.members.size} people`;
    ui.roomSub.textContent = `${state.agent ? 'with ' + state.agent : 'no agent'} · ${people}`;
    ui.memberCount.textContent = String(state.members.size);
    document.title = `${state.room} · RAAF chat`;
  }

  function person(name, options = {}) {
    const avatar = h('span', { class: options.bot ? 'avatar bot' : 'avatar', 'aria-hidden': 'true' }, initial(name));
    if (!options.bot) avatar.style.setProperty('--hue', hue(name));
    return h('li', { 'data-testid': options.testid || 'member', 'data-user': name }, avatar,
      h('span', { class: 'who' }, name, options.note ? h('span', { class: options.you ? 'you' : 'note' }, ` ${options.note}`) : null),
      options.action || null);
  }

  function renderMembers() {
    ui.agentItems.replaceChildren(state.agent
      ? person(state.agent, { bot: true, testid: 'member-agent', note: '· answers' })
      : h('li', { class: 'muted' }, 'People only'));
    const members = [...state.members].sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    ui.memberItems.replaceChildren(...members.map(([id, user]) =>
      person(user, id === state.clientId ? { note: '(you)', you: true } : {})));
    const others = state.specialists.filter((name) => name !== state.agent);
    ui.specialistItems.replaceChildren(...others.map((name) => {
      const ask = h('button', { type: 'button', class: 'ghost compact', 'data-testid': 'handoff-request', 'data-agent': name }, 'Ask');
      ask.addEventListener('click', () => { if (send({ type: 'handoff_request', room: state.room, agent: name })) openMembers(false); });
      return person(name, { bot: true, testid: 'member-specialist', action: ask });
    }));
    ui.specialistsBox.hidden = others.length === 0;
    ui.memberCount.textContent = String(state.members.size);
  }

  function openMembers(open) {
    ui.members.classList.toggle('open', open);
    ui.scrim.hidden = !open;
    ui.membersToggle.setAttribute('aria-expanded', String(open));
  }

  function updateComposer() {
    const ready = state.online && state.joined;
    ui.send.disabled = !ready;
    ui.input.placeholder = ready ? `Message ${state.room}` : (state.room ? 'Reconnecting…' : 'Message');
  }

  function autosize() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 160) + 'px';
  }

  function showNotice(text) {
    ui.notice.replaceChildren(h('span', { 'aria-hidden': 'true' }, '⇄'), h('span', null, text));
    ui.notice.hidden = false;
    ui.notice.title = 'Dismiss';
    clearTimeout(state.noticeTimer);
    state.noticeTimer = setTimeout(() => { ui.notice.hidden = true; }, NOTICE_MS);
  }

  function toast(message, code, kind = 'error') {
    const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': 'toast', 'data-code': code || '' },
      h('span', null, message), code ? h('span', { class: 'code' }, code) : null);
    el.addEventListener('click', () => el.remove());
    ui.toasts.append(el);
    while (ui.toasts.children.length > 3) ui.toasts.firstElementChild.remove();
    setTimeout(() => el.remove(), kind === 'error' ? 6000 : 3500);
  }

  // ---- user actions ----

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
})();
"""#
}
