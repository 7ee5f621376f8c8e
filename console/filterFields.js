import { html } from './vendor/htm-preact.mjs';
import { Field } from './scheduleFields.js';

/** A comma-separated list as the API takes it: trimmed, without empty items. */
export const commaList = (text) => text.split(',').map((x) => x.trim()).filter(Boolean);

/**
 * The campus and term filters a task type applies (GET /task-types `filters`), as inputs: on New
 * job and on a job's Information tab. `values` holds the texts, `set` takes a change of them.
 */
export function FilterFields({ filters, direction, values, set, err }) {
  const what = direction === 'import' ? 'only rows of these are imported' : 'only rows of these are exported';
  const input = (key, label) => (filters.includes(key)
    ? html`<${Field} id=${key} label=${`${label} (comma-separated; none: all)`} error=${err(`rules.${key}`)} hint=${what}>
        <input id=${key} value=${values[key]} onInput=${(e) => set({ [key]: e.target.value })} /><//>`
    : null);
  return html`${input('campuses', 'Campuses')}${input('terms', 'Terms')}`;
}
