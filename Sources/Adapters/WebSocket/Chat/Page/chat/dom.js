// Building elements and formatting text. Text from the server or from people is only ever
// written with `textContent` or text nodes, never parsed as HTML.

// Builds an element; strings among the children become text nodes (never HTML).
export function h(tag, attrs, ...children) {
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
export function dots() { return h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')); }
export function clip(text, max) { const s = String(text); return s.length > max ? s.slice(0, max - 1) + '…' : s; }
export function hue(text) { let n = 0; for (const c of String(text)) n = (n * 31 + c.codePointAt(0)) % 360; return n; }
export function initial(name) { const first = [...String(name).trim()][0]; return first ? first.toUpperCase() : '?'; }
export function timeLabel(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
export function asText(value) {
  if (typeof value === 'string') return value;
  try { return JSON.stringify(value) ?? ''; } catch { return String(value); }
}
export function formatArguments(value) {
  let parsed = value;
  if (typeof parsed === 'string') { try { parsed = JSON.parse(parsed); } catch { return parsed; } }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    return Object.entries(parsed).map(([key, v]) => `${key}: ${typeof v === 'string' ? v : asText(v)}`).join(', ');
  }
  return asText(parsed);
}
