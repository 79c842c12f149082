// The chat page's style sheet: a neutral light theme, a dark one through
// `prefers-color-scheme`, and a phone layout below 720 px (the members list becomes a
// drawer, the composer stays at the bottom, tap targets are 44 px).
//
// Keep the raw string's text and its closing delimiter at column 0 (see ChatPage+HTML.swift).
extension ChatPage {
    static let css = #"""
:root {
  --bg: #f5f6f8; --surface: #ffffff; --surface-2: #f0f2f5; --surface-3: #e4e7ec;
  --border: #e1e4ea; --text: #16181d; --muted: #667085;
  --accent: #4f5bd5; --accent-strong: #3e49bd; --on-accent: #ffffff; --ring: rgb(79 91 213 / .2);
  --agent-bg: #f5f3ff; --agent-border: #e2dcfb; --agent-ink: #5b45c9;
  --ok: #16a34a; --warn: #d97706; --bad: #dc2626;
  --radius: 14px;
  --shadow: 0 1px 2px rgb(16 24 40 / .05), 0 1px 6px rgb(16 24 40 / .05);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1014; --surface: #16191f; --surface-2: #1e222a; --surface-3: #2a2f3a;
    --border: #2a2f3a; --text: #e8eaef; --muted: #9aa3b2;
    --accent: #6e7bff; --accent-strong: #8a95ff; --on-accent: #ffffff; --ring: rgb(110 123 255 / .3);
    --agent-bg: #1d1b2d; --agent-border: #352f58; --agent-ink: #b9acff;
    --shadow: 0 1px 2px rgb(0 0 0 / .35);
  }
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { height: 100%; margin: 0; }
body {
  background: var(--bg); color: var(--text); overflow: hidden;
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-font-smoothing: antialiased; -webkit-text-size-adjust: 100%;
}
button, input, select, textarea { font: inherit; color: inherit; }
button { cursor: pointer; -webkit-tap-highlight-color: transparent; }
button:disabled { cursor: default; opacity: .5; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }

.app { display: flex; flex-direction: column; height: 100vh; height: 100dvh; max-width: 1120px; margin: 0 auto; }
@media (min-width: 1121px) { .app { border-inline: 1px solid var(--border); } }

/* Top bar */
.bar {
  display: flex; align-items: center; gap: .5rem; min-height: 56px; flex: none;
  padding: .375rem .75rem; padding-top: max(.375rem, env(safe-area-inset-top));
  background: var(--surface); border-bottom: 1px solid var(--border);
}
.brand { display: flex; align-items: center; gap: .55rem; font-weight: 650; letter-spacing: -.01em; white-space: nowrap; }
.logo { width: 28px; height: 28px; flex: none; }
.logo rect { fill: var(--accent); }
.logo path { fill: none; stroke: #fff; stroke-width: 2.6; stroke-linecap: round; }
.room-head { display: flex; align-items: center; gap: .25rem; flex: 1; min-width: 0; }
.app[data-view="room"] .brand { padding-right: .75rem; margin-right: .25rem; border-right: 1px solid var(--border); }
.room-title { min-width: 0; }
.room-name { font-weight: 650; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.room-sub { font-size: .78rem; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.bar-end { margin-left: auto; display: flex; align-items: center; gap: .25rem; flex: none; }

.status {
  display: inline-flex; align-items: center; gap: .45rem; min-height: 34px; padding: 0 .75rem;
  border: 1px solid var(--border); border-radius: 999px; background: var(--surface-2);
  font-size: .8rem; color: var(--muted); white-space: nowrap; cursor: default;
}
.status .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--warn); flex: none; }
.status[data-state="online"] .dot { background: var(--ok); box-shadow: 0 0 0 3px rgb(22 163 74 / .16); }
.status[data-state="offline"] { cursor: pointer; color: var(--text); }
.status[data-state="offline"] .dot { background: var(--bad); }
.status[data-state="connecting"] .dot { animation: pulse 1s ease-in-out infinite; }

/* Buttons and fields */
.primary, .ghost { min-height: 44px; padding: 0 1.1rem; border-radius: 10px; font-weight: 600; border: 1px solid transparent; }
.primary { background: var(--accent); color: var(--on-accent); }
.primary:hover:not(:disabled) { background: var(--accent-strong); }
.ghost { background: transparent; border-color: var(--border); }
.ghost:hover:not(:disabled) { background: var(--surface-2); }
.compact { min-height: 36px; padding: 0 .85rem; font-size: .875rem; }
.wide { width: 100%; margin-top: 1.1rem; }
.link { background: none; border: 0; padding: .6rem .2rem; color: var(--accent); text-decoration: underline; text-underline-offset: 2px; }
.icon-btn {
  display: inline-flex; align-items: center; justify-content: center; gap: .3rem;
  min-width: 44px; height: 44px; padding: 0 .5rem; border: 0; border-radius: 10px; background: transparent;
}
.icon-btn:hover { background: var(--surface-2); }
.icon-btn svg { width: 22px; height: 22px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
.members-toggle .count { font-size: .85rem; font-weight: 600; }
label { display: block; font-size: .85rem; font-weight: 600; color: var(--muted); margin: .9rem 0 .35rem; }
input, select {
  width: 100%; min-height: 46px; padding: .6rem .8rem; font-size: 16px;
  border: 1px solid var(--border); border-radius: 10px; background: var(--surface);
}
input:focus, select:focus, textarea:focus { outline: none; border-color: var(--accent); box-shadow: 0 0 0 3px var(--ring); }
.muted { color: var(--muted); }
.fine { font-size: .875rem; }

/* Name and lobby */
main { flex: 1; min-height: 0; display: flex; position: relative; }
.view { flex: 1; min-width: 0; min-height: 0; }
.view-center {
  overflow-y: auto; display: flex; flex-direction: column; align-items: center; gap: 1rem;
  padding: 1.25rem .875rem calc(1.25rem + env(safe-area-inset-bottom));
}
.view-center > * { width: 100%; max-width: 480px; flex: none; }
#view-name { justify-content: center; }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); padding: 1.25rem; }
.card h1 { margin: 0 0 .25rem; font-size: 1.5rem; letter-spacing: -.02em; }
.card h1 + p { margin: 0; }
.card h2 { margin: 0; font-size: 1.05rem; }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: .5rem; margin-bottom: .35rem; }
.room-list { list-style: none; margin: 0; padding: 0; }
.room-list li { display: flex; align-items: center; gap: .75rem; padding: .65rem 0; border-top: 1px solid var(--border); }
.room-list li:first-child { border-top: 0; }
.room-badge {
  flex: none; width: 40px; height: 40px; border-radius: 12px; display: grid; place-items: center;
  font-weight: 700; color: #fff; background: hsl(var(--hue, 230) 52% 52%);
}
.room-info { flex: 1; min-width: 0; }
.room-info .name { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.room-info .sub { font-size: .8rem; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.empty { margin: .35rem 0 0; }
.whoami { text-align: center; margin: 0; }

/* Room */
.room { display: flex; min-height: 0; position: relative; overflow: hidden; }
.chat { flex: 1; min-width: 0; display: flex; flex-direction: column; min-height: 0; }
.notice {
  cursor: pointer; display: flex; align-items: center; gap: .5rem; margin: .6rem .75rem 0; padding: .55rem .8rem; flex: none;
  border-radius: 12px; background: var(--agent-bg); border: 1px solid var(--agent-border); color: var(--agent-ink); font-size: .875rem;
}
.messages { flex: 1; min-height: 0; overflow-y: auto; overscroll-behavior: contain; padding: .9rem .75rem .4rem; scrollbar-width: thin; }
.earlier { display: block; margin: 0 auto .9rem; }
.items { display: flex; flex-direction: column; gap: .65rem; }
.msg { display: flex; flex-direction: column; align-items: flex-start; max-width: 100%; }
.msg .meta { display: flex; align-items: center; flex-wrap: wrap; gap: .4rem; font-size: .75rem; color: var(--muted); margin: 0 .65rem .2rem; }
.msg .author { font-weight: 600; color: var(--text); }
.msg.agent .author { color: var(--agent-ink); }
.badge {
  font-size: .62rem; font-weight: 700; text-transform: uppercase; letter-spacing: .05em;
  padding: .05rem .35rem; border-radius: 5px; background: var(--agent-border); color: var(--agent-ink);
}
.tag { font-size: .7rem; padding: 0 .4rem; border-radius: 5px; background: var(--surface-3); color: var(--muted); }
.bubble {
  max-width: min(80%, 640px); padding: .55rem .85rem; border-radius: 18px;
  background: var(--surface); border: 1px solid var(--border); box-shadow: var(--shadow);
}
.msg .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.other .bubble { border-top-left-radius: 6px; }
.msg.mine { align-items: flex-end; }
.msg.mine .bubble { background: var(--accent); color: var(--on-accent); border-color: transparent; border-top-right-radius: 6px; }
.msg.agent .bubble { background: var(--agent-bg); border-color: var(--agent-border); }
.msg.system { align-items: center; }
.msg.system .text {
  font-size: .78rem; color: var(--muted); background: var(--surface-2);
  border-radius: 999px; padding: .2rem .8rem; text-align: center; max-width: 92%;
}
.streaming .text:not(:empty)::after {
  content: ""; display: inline-block; width: .45em; height: 1em; margin-left: 2px; vertical-align: -.14em;
  background: currentColor; opacity: .45; border-radius: 1px; animation: blink 1s steps(1) infinite;
}
.streaming .text:empty { display: none; }
.dots { display: inline-flex; align-items: center; gap: 3px; padding: 0 .15rem; }
.dots i { width: 5px; height: 5px; border-radius: 50%; background: var(--agent-ink); opacity: .35; animation: bounce 1.2s ease-in-out infinite; }
.dots i:nth-child(2) { animation-delay: .15s; }
.dots i:nth-child(3) { animation-delay: .3s; }
.bubble > .dots { padding: .35rem 0; }
.streaming.has-text .bubble > .dots { display: none; }
.stop {
  min-height: 32px; padding: 0 .7rem; margin-left: .15rem; border-radius: 999px; font-size: .75rem; font-weight: 600;
  border: 1px solid var(--agent-border); background: var(--surface); color: var(--text);
}
.stop:hover:not(:disabled) { border-color: var(--bad); color: var(--bad); }
.tools:empty { display: none; }
.tools { display: flex; flex-direction: column; gap: .3rem; margin-bottom: .45rem; }
.tool {
  display: flex; flex-wrap: wrap; align-items: baseline; column-gap: .6rem; row-gap: .1rem; min-width: 0; padding: .3rem .55rem;
  font: .78rem/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  border-radius: 8px; background: var(--surface); border: 1px solid var(--agent-border); color: var(--muted);
}
.tool .call, .tool .result { display: flex; align-items: baseline; gap: .35rem; min-width: 0; max-width: 100%; white-space: nowrap; }
.tool .name { color: var(--agent-ink); font-weight: 700; flex: none; }
.tool .args, .tool .out { min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.tool .out { color: var(--text); }
.tool[data-state="error"] .out { color: var(--bad); }
.tool[data-state="running"] .out { color: var(--muted); font-style: italic; }
.typing {
  flex: none; min-height: 1.6rem; padding: .1rem 1rem; font-size: .8rem; color: var(--muted);
  display: flex; align-items: center; gap: .4rem; white-space: nowrap; overflow: hidden;
}
.typing .dots i { background: var(--muted); }
.composer {
  flex: none; display: flex; align-items: flex-end; gap: .5rem; padding: .5rem .75rem;
  padding-bottom: max(.5rem, env(safe-area-inset-bottom)); background: var(--surface); border-top: 1px solid var(--border);
}
.composer textarea {
  flex: 1; min-width: 0; height: 44px; min-height: 44px; max-height: 160px; resize: none; padding: .6rem 1rem;
  font-size: 16px; line-height: 1.4; border: 1px solid var(--border); border-radius: 22px; background: var(--surface-2);
}
.send {
  flex: none; width: 44px; height: 44px; border: 0; border-radius: 50%; display: grid; place-items: center;
  background: var(--accent); color: var(--on-accent);
}
.send:hover:not(:disabled) { background: var(--accent-strong); }
.send svg { width: 20px; height: 20px; fill: currentColor; }

/* Members */
.members { width: 250px; flex: none; overflow-y: auto; padding: .6rem .75rem; background: var(--surface); border-left: 1px solid var(--border); }
.members h3 { margin: .6rem .3rem .3rem; font-size: .72rem; font-weight: 700; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.people { list-style: none; margin: 0; padding: 0; }
.people li { display: flex; align-items: center; gap: .6rem; min-height: 44px; padding: .25rem .3rem; border-radius: 10px; }
.people li.muted { font-size: .875rem; }
.avatar {
  flex: none; width: 32px; height: 32px; border-radius: 50%; display: grid; place-items: center;
  font-size: .82rem; font-weight: 700; color: #fff; background: hsl(var(--hue, 230) 48% 52%);
}
.avatar.bot { border-radius: 10px; background: var(--agent-ink); color: var(--surface); }
.people .who { flex: 1; min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.people .you, .people .note { color: var(--muted); font-size: .8rem; }
.scrim { display: none; }

/* Messages, errors */
.toasts {
  position: fixed; left: 50%; top: calc(64px + env(safe-area-inset-top)); transform: translateX(-50%); z-index: 10;
  width: min(92vw, 420px); display: flex; flex-direction: column; gap: .5rem; pointer-events: none;
}
.toast {
  pointer-events: auto; cursor: pointer; padding: .7rem .9rem; border-radius: 12px; font-size: .9rem;
  background: #1f2330; color: #fff; border-left: 4px solid var(--bad); box-shadow: 0 8px 24px rgb(0 0 0 / .2);
  animation: toast-in .18s ease-out;
}
.toast.info { border-left-color: var(--accent); }
.toast .code { margin-left: .4rem; font: .72rem ui-monospace, SFMono-Regular, Menlo, monospace; opacity: .7; }

/* Phones */
@media (max-width: 720px) {
  .app[data-view="room"] .brand { display: none; }
  .members {
    position: absolute; top: 0; right: 0; bottom: 0; z-index: 5; width: min(82vw, 300px);
    transform: translateX(100%); visibility: hidden; transition: transform .2s ease, visibility .2s;
    box-shadow: -8px 0 24px rgb(0 0 0 / .14);
  }
  .members.open { transform: none; visibility: visible; }
  .scrim:not([hidden]) { display: block; position: absolute; inset: 0; z-index: 4; background: rgb(0 0 0 / .28); }
  .bubble { max-width: 86%; }
  .messages { padding-inline: .6rem; }
}
@media (max-width: 420px) {
  .status[data-state="online"] { padding: 0 .55rem; border-color: transparent; background: transparent; }
  .status[data-state="online"] .label { display: none; }
}
@media (min-width: 721px) { .members-toggle { display: none !important; } }

@keyframes blink { 50% { opacity: 0; } }
@keyframes bounce { 0%, 80%, 100% { transform: translateY(0); opacity: .35; } 40% { transform: translateY(-3px); opacity: 1; } }
@keyframes pulse { 50% { opacity: .3; } }
@keyframes toast-in { from { opacity: 0; transform: translateY(-6px); } }
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
}
"""#
}
