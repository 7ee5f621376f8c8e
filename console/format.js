/** Display helpers: dates, durations and words for codes. */

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function duration(startIso, endIso) {
  if (!startIso) return '—';
  const ms = (endIso ? new Date(endIso) : new Date()) - new Date(startIso);
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const words = (code) => (code ?? '').replace(/[_-]/g, ' ');

export const capital = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** A log line's time: the clock to the second (the dialog's title says which run). */
export const clock = (iso) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
