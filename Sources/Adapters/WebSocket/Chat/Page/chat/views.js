// The views (name, lobby, room) and what they show: the room list, the room's header and
// members, the composer's state, handoff notices and toasts.

import { setHash, state, ui } from './state.js';
import { h, hue, initial } from './dom.js';
import { send } from './connection.js';
import { updateEarlier } from './messages.js';
import { clearTyping, stopTyping } from './typing.js';

const ROOM_REFRESH_MS = 10000, NOTICE_MS = 12000;

export function showView(view) {
  state.view = view;
  for (const [key, el] of Object.entries(ui.views)) el.hidden = key !== view;
  ui.app.dataset.view = view;
  ui.roomHead.hidden = view !== 'room';
  ui.membersToggle.hidden = view !== 'room';
  openMembers(false);
  if (view === 'name') { ui.nameInput.value = state.name; document.title = 'RAAF chat'; }
  if (view === 'lobby') { ui.whoami.textContent = state.name; document.title = 'Rooms · RAAF chat'; requestRooms(); }
}

export function requestRooms() { send({ type: 'list_rooms' }); }
setInterval(() => { if (state.view === 'lobby' && !document.hidden) requestRooms(); }, ROOM_REFRESH_MS);

export function renderRooms(rooms) {
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

export function joinRoom(room) {
  state.wantRoom = room;
  send({ type: 'join_room', room, user: state.name });  // offline: joined once connected
}

export function leaveRoom() {
  stopTyping();
  if (state.room && state.joined) send({ type: 'leave_room', room: state.room });
  state.wantRoom = null; state.room = null; state.joined = false;
  resetRoom(); setHash(null); showView('lobby');
}

export function resetRoom() {
  ui.items.replaceChildren();
  state.bySeq.clear(); state.streams.clear(); clearTyping();
  state.members.clear(); state.agent = null; state.specialists = [];
  state.sawSystem = false; state.eventLines = [];
  state.hasMore = null; state.historyPending = false;
  clearTimeout(state.noticeTimer); ui.notice.hidden = true;
  updateEarlier();
}

export function renderRoomHeader() {
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

export function renderMembers() {
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

export function openMembers(open) {
  ui.members.classList.toggle('open', open);
  ui.scrim.hidden = !open;
  ui.membersToggle.setAttribute('aria-expanded', String(open));
}

export function updateComposer() {
  const ready = state.online && state.joined;
  ui.send.disabled = !ready;
  ui.input.placeholder = ready ? `Message ${state.room}` : (state.room ? 'Reconnecting…' : 'Message');
}

export function autosize() {
  ui.input.style.height = 'auto';
  ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 160) + 'px';
}

export function showNotice(text) {
  ui.notice.replaceChildren(h('span', { 'aria-hidden': 'true' }, '⇄'), h('span', null, text));
  ui.notice.hidden = false;
  ui.notice.title = 'Dismiss';
  clearTimeout(state.noticeTimer);
  state.noticeTimer = setTimeout(() => { ui.notice.hidden = true; }, NOTICE_MS);
}

export function toast(message, code, kind = 'error') {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': 'toast', 'data-code': code || '' },
    h('span', null, message), code ? h('span', { class: 'code' }, code) : null);
  el.addEventListener('click', () => el.remove());
  ui.toasts.append(el);
  while (ui.toasts.children.length > 3) ui.toasts.firstElementChild.remove();
  setTimeout(() => el.remove(), kind === 'error' ? 6000 : 3500);
}
