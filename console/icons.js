import { html } from './vendor/htm-preact.mjs';
import { words, capital } from './format.js';

/** The status icon kinds the list filters by (seed 003): running, success, warnings, failure, none. */
export const STATUS_KINDS = [
  { kind: 'running', label: 'Running' },
  { kind: 'completed', label: 'Completed' },
  { kind: 'warnings', label: 'With warnings' },
  { kind: 'failed', label: 'Failed or halted' },
  { kind: 'canceled', label: 'Canceled' },
  { kind: 'none', label: 'Not run yet' },
];

/** Which icon a job shows: its run in progress, else a halt, else its last run's outcome (the server's jobIcon, api/queries/display.ts, filters by the same rule). */
export function statusKind(status, lastOutcome) {
  if (status === 'running') return 'running';
  if (status === 'halted') return 'failed';
  return outcomeKind(lastOutcome);
}

export function outcomeKind(outcome) {
  switch (outcome) {
    case 'completed': return 'completed';
    case 'completed_with_warnings': case 'partially_completed': return 'warnings';
    case 'failed': case 'halted': return 'failed';
    case 'canceled': return 'canceled';
    case 'running': case 'queued': return 'running';
    default: return outcome ? 'running' : 'none';
  }
}

const SHAPES = {
  running: html`<circle cx="8" cy="8" r="5.5" class="fill" />`,
  completed: html`<path d="M3.5 8.5l3 3 6-7" class="stroke" />`,
  warnings: html`<path d="M8 2l6.5 12h-13z" class="fill" /><path d="M8 6.5v3.5M8 11.5v1" class="stroke inner" />`,
  failed: html`<path d="M4 4l8 8M12 4l-8 8" class="stroke" />`,
  canceled: html`<path d="M4 4l8 8M12 4l-8 8" class="stroke" />`,
  none: html`<circle cx="8" cy="8" r="5" class="stroke" />`,
};

/** One icon with its words as the accessible name and the reason on hover. */
export function Icon({ kind, label, reason }) {
  const name = reason ? `${label}: ${reason}` : label;
  return html`<span class=${`icon icon-${kind}`} role="img" aria-label=${name} title=${name}>
    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">${SHAPES[kind]}</svg>
  </span>`;
}

export function StatusIcon({ status, outcome, reason }) {
  const kind = statusKind(status, outcome);
  const label = kind === 'running' ? 'Running' : status === 'halted' ? 'Halted' : outcome ? capital(words(outcome)) : 'Not run yet';
  return html`<${Icon} kind=${kind} label=${label} reason=${kind === 'failed' || kind === 'warnings' ? reason : undefined} />`;
}

export function OutcomeIcon({ outcome, reason }) {
  const kind = outcomeKind(outcome);
  return html`<${Icon} kind=${kind} label=${capital(words(outcome ?? 'not run'))} reason=${reason ?? undefined} />`;
}

/** The log icon: filled when there are unread lines (seed 003). */
export function LogIcon({ unread }) {
  return html`<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false" class=${unread ? 'log unread' : 'log'}>
    <rect x="2.5" y="1.5" width="11" height="13" rx="1.5" /><path d="M5 5h6M5 8h6M5 11h4" />
  </svg>`;
}
