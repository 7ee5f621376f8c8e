import { html } from './vendor/htm-preact.mjs';

/** A link to a workflow in Temporal Web, when the API names where Temporal Web is. */
export function temporalLink(me, workflowId, label) {
  if (!me.temporalWebUrl) return null;
  const href = `${me.temporalWebUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(me.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return html`<a class="external" href=${href} target="_blank" rel="noopener noreferrer">${label}</a>`;
}
