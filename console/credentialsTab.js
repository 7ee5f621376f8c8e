import { html, useState } from './vendor/htm-preact.mjs';
import { api, jobPath } from './api.js';
import { when } from './format.js';
import { usePoll } from './hooks.js';
import { Field } from './scheduleFields.js';

const KINDS = [
  ['password', 'Password', 'For ftp:/ftps: destinations (the user name stays in the URL).'],
  ['token', 'Bearer token', 'Sent as Authorization: Bearer to an https: destination.'],
  ['query', 'Secret query parameters', 'name=value&… appended to an https: destination when it connects.'],
];

/** Credentials are write-only: the page shows which are set and when, never a value. */
export function CredentialsTab({ job }) {
  const path = `${jobPath(job.domain, job.id)}/secrets`;
  const { data, refresh } = usePoll(path, 0);
  const [values, setValues] = useState({});
  const [msg, setMsg] = useState({});
  const set = async (kind) => {
    try {
      await api.put(`${path}/${kind}`, { value: values[kind] ?? '' });
      setValues({ ...values, [kind]: '' });
      setMsg({ ...msg, [kind]: { ok: true, text: 'Saved.' } });
      refresh();
    } catch (e) {
      setMsg({ ...msg, [kind]: { ok: false, text: e.forField?.('value') ?? e.message } });
    }
  };
  const remove = async (kind) => {
    await api.del(`${path}/${kind}`).catch(() => undefined);
    setMsg({ ...msg, [kind]: { ok: true, text: 'Removed.' } });
    refresh();
  };
  const setAt = (kind) => data?.items.find((s) => s.kind === kind)?.updatedAt;
  return html`<div class="form">
    <p>Values are stored encrypted and are never shown again, here or anywhere.</p>
    ${KINDS.map(([kind, label, hint]) => html`<form class="credential" onSubmit=${(e) => (e.preventDefault(), set(kind))}>
      <${Field} id=${`secret-${kind}`} label=${label} hint=${`${hint} ${setAt(kind) ? `Set ${when(setAt(kind))}.` : 'Not set.'}`}
        error=${msg[kind] && !msg[kind].ok ? msg[kind].text : undefined}>
        <input id=${`secret-${kind}`} type="password" autocomplete="new-password" value=${values[kind] ?? ''} onInput=${(e) => setValues({ ...values, [kind]: e.target.value })} /><//>
      <div class="form-end"><button type="submit" class="secondary">Set ${label.toLowerCase()}</button>
        ${setAt(kind) ? html`<button type="button" class="quiet" onClick=${() => remove(kind)}>Remove</button>` : null}
        ${msg[kind]?.ok ? html`<span class="result" role="status">${msg[kind].text}</span>` : null}</div>
    </form>`)}
  </div>`;
}
