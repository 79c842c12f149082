// A browser app on another origin, as a React or Next.js front end does it: it starts an
// agent's answer with fetch (POST /v1/agents/NAME/stream), reads the stream's id from the
// X-Stream-ID header (exposed by CORS) and the first frames from the body, then follows the
// stream with EventSource on GET /v1/streams/ID, which reconnects by itself after a cut and
// sends Last-Event-ID. Frames are applied by seq, so the text is shown once.
//
// ?api=URL names the server; ?agent=NAME the agent (default support).
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const api = params.get('api');
  const agent = params.get('agent') || 'support';
  const state = window.crossOrigin = {
    phase: 'start', streamId: null, lastSeq: 0, text: '', done: false, error: null,
    opens: 0, received: [], fetched: [],
  };
  const answer = document.getElementById('answer');

  function show(phase) {
    state.phase = phase;
    document.getElementById('phase').textContent = phase;
  }

  // Applies a frame once: a frame at or below the last seq shown is a replay.
  function apply(frame, via) {
    (via === 'fetch' ? state.fetched : state.received).push({ open: state.opens, seq: frame.seq, type: frame.type });
    if (frame.seq <= state.lastSeq) return;
    state.lastSeq = frame.seq;
    if (frame.type === 'response_chunk') {
      state.text += frame.content;
      answer.textContent = state.text;
    } else if (frame.type === 'complete') {
      state.done = true;
      show('complete');
    } else if (frame.type === 'error') {
      state.error = frame.code;
      show('error');
    }
  }

  // Minimal text/event-stream reading for the fetch body: the data lines of each event.
  function events(buffer) {
    const found = [];
    let end;
    while ((end = buffer.text.indexOf('\n\n')) >= 0) {
      const block = buffer.text.slice(0, end);
      buffer.text = buffer.text.slice(end + 2);
      const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
      if (data.length) found.push(JSON.parse(data.join('\n')));
    }
    return found;
  }

  function follow() {
    show('following');
    const source = new EventSource(api + '/v1/streams/' + encodeURIComponent(state.streamId));
    source.onopen = () => { state.opens += 1; };
    for (const type of ['response_chunk', 'complete', 'error']) {
      source.addEventListener(type, (event) => {
        apply(JSON.parse(event.data), 'eventsource');
        if (state.done || state.error) source.close();
      });
    }
  }

  async function start() {
    show('posting');
    let response;
    try {
      response = await fetch(api + '/v1/agents/' + encodeURIComponent(agent) + '/stream', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ input: 'Hello from another origin' }),
      });
    } catch (error) {
      // What a browser does when CORS refuses: a TypeError, the answer unreadable.
      state.error = String(error);
      show('refused');
      return;
    }
    state.streamId = response.headers.get('X-Stream-ID');
    document.getElementById('stream-id').textContent = state.streamId || '(not exposed)';
    if (!response.ok || !state.streamId) {
      state.error = 'status ' + response.status + ', X-Stream-ID ' + state.streamId;
      show('error');
      return;
    }
    show('streaming');
    // The first chunk from the POST itself, then EventSource takes over.
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const buffer = { text: '' };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer.text += decoder.decode(value, { stream: true });
      const frames = events(buffer);
      frames.forEach((frame) => apply(frame, 'fetch'));
      if (frames.some((frame) => frame.type === 'response_chunk') || state.done) break;
    }
    await reader.cancel();
    if (!state.done) follow();
  }

  start();
})();
