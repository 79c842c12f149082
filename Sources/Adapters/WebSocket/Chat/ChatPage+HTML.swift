// The chat page's markup: the document head and the body's elements, before the script
// fills them. Elements that tests drive carry stable `data-testid` attributes.
//
// Keep the raw strings' text at column 0 and each closing delimiter at column 0:
// Tests/WebSocketTests/Interop/chat_mock_server.py reads the page out of these files.
extension ChatPage {
    static let head = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)">
<meta name="theme-color" content="#16191f" media="(prefers-color-scheme: dark)">
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='9' fill='%234f5bd5'/%3E%3Cpath d='M9 12h14M9 17h10M9 22h6' stroke='white' stroke-width='2.6' stroke-linecap='round'/%3E%3C/svg%3E">
<title>RAAF chat</title>
"""#

    static let markup = #"""
<div class="app" data-view="name">
  <header class="bar">
    <div class="brand">
      <svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="9"/><path d="M9 12h14M9 17h10M9 22h6"/></svg>
      <span>RAAF chat</span>
    </div>
    <div class="room-head" id="room-head" hidden>
      <button type="button" class="icon-btn" id="leave-button" data-testid="leave-room" aria-label="Leave the room" title="Leave the room">
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M15 5l-7 7 7 7"/></svg>
      </button>
      <div class="room-title">
        <div class="room-name" id="room-title" data-testid="room-title"></div>
        <div class="room-sub" id="room-sub" data-testid="room-agent"></div>
      </div>
    </div>
    <div class="bar-end">
      <button type="button" class="status" id="status" data-testid="connection-status" data-state="connecting" aria-live="polite">
        <span class="dot" aria-hidden="true"></span><span class="label" id="status-label">Connecting…</span>
      </button>
      <button type="button" class="icon-btn members-toggle" id="members-toggle" data-testid="members-toggle" aria-controls="members" aria-expanded="false" aria-label="Members" title="Members" hidden>
        <svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="9" cy="8" r="3.5"/><path d="M2.5 19c.8-3.4 3.4-5 6.5-5s5.7 1.6 6.5 5"/><path d="M16 4.8a3.5 3.5 0 0 1 0 6.4M18 14.4c1.8.7 3 2.2 3.5 4.6"/></svg>
        <span class="count" id="member-count">0</span>
      </button>
    </div>
  </header>

  <main>
    <section class="view view-center" id="view-name" data-testid="view-name" hidden>
      <form class="card" id="name-form">
        <h1>Welcome</h1>
        <p class="muted">Pick the name others see in the chat rooms.</p>
        <label for="name-input">Your name</label>
        <input id="name-input" name="nickname" data-testid="name-input" maxlength="40" autocomplete="nickname" placeholder="e.g. Alice" enterkeyhint="go" required>
        <button type="submit" class="primary wide" data-testid="name-submit">Continue</button>
      </form>
    </section>

    <section class="view view-center" id="view-lobby" data-testid="view-lobby" hidden>
      <div class="card">
        <div class="card-head">
          <h2>Rooms</h2>
          <button type="button" class="ghost compact" id="refresh-rooms" data-testid="refresh-rooms">Refresh</button>
        </div>
        <ul class="room-list" id="room-list" data-testid="room-list"></ul>
        <p class="muted empty" id="no-rooms">No rooms yet. Create the first one below.</p>
      </div>
      <form class="card" id="create-form">
        <h2>Create a room</h2>
        <label for="room-input">Room name</label>
        <input id="room-input" data-testid="room-name-input" maxlength="64" placeholder="e.g. support-desk" autocomplete="off" autocapitalize="off" enterkeyhint="go" required>
        <label for="agent-select">Agent in the room</label>
        <select id="agent-select" data-testid="agent-select">
          <option value="assistant">assistant</option>
          <option value="support">support</option>
          <option value="">none (people only)</option>
        </select>
        <button type="submit" class="primary wide" data-testid="create-room">Create and join</button>
      </form>
      <p class="muted fine whoami">You are <strong id="whoami" data-testid="whoami"></strong> · <button type="button" class="link" id="change-name" data-testid="change-name">change name</button></p>
    </section>

    <section class="view room" id="view-room" data-testid="view-room" hidden>
      <div class="chat">
        <div class="notice" id="handoff-notice" data-testid="handoff-notice" role="status" hidden></div>
        <div class="messages" id="messages" data-testid="message-list" role="log" aria-live="polite" aria-relevant="additions">
          <button type="button" class="ghost compact earlier" id="load-earlier" data-testid="load-earlier" hidden>Load earlier messages</button>
          <div class="items" id="items"></div>
        </div>
        <div class="typing" id="typing" data-testid="typing-indicator" data-active="false" aria-live="polite"></div>
        <form class="composer" id="composer">
          <textarea id="message-input" data-testid="message-input" rows="1" maxlength="4000" placeholder="Message" aria-label="Message" enterkeyhint="send"></textarea>
          <button type="submit" class="send" id="send-button" data-testid="send-button" aria-label="Send" title="Send" disabled>
            <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3.4 20.4l17.4-7.5a1 1 0 0 0 0-1.8L3.4 3.6a.7.7 0 0 0-1 .8L4.6 11 13 12l-8.4 1-2.2 6.6a.7.7 0 0 0 1 .8z"/></svg>
          </button>
        </form>
      </div>
      <aside class="members" id="members" data-testid="member-list" aria-label="People in the room">
        <h3>Agent</h3>
        <ul class="people" id="agent-items"></ul>
        <h3>Members</h3>
        <ul class="people" id="member-items"></ul>
        <div id="specialists-box" hidden>
          <h3>Specialists</h3>
          <ul class="people" id="specialist-items"></ul>
        </div>
      </aside>
      <div class="scrim" id="scrim" hidden></div>
    </section>
  </main>
  <div class="toasts" id="toasts" data-testid="toasts" aria-live="assertive"></div>
</div>
"""#
}
