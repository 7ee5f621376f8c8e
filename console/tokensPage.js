import { html, useState } from './vendor/htm-preact.mjs';
import { api } from './api.js';
import { when, words } from './format.js';
import { FormErrors, usePoll } from './hooks.js';
import { Field } from './scheduleFields.js';

/** Tokens (system administrators): list, create (shown once), revoke. */
export function TokensPage() {
  const { data, refresh } = usePoll('/tokens', 0);
  const [f, setF] = useState({ name: '', role: 'domain_admin', domain: '' });
  const [created, setCreated] = useState(null);
  const [error, setError] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    try {
      const t = await api.post('/tokens', { name: f.name, role: f.role, ...(f.role !== 'system_admin' && f.domain ? { domain: f.domain } : {}) });
      setCreated(t);
      setError(null);
      setF({ ...f, name: '' });
      refresh();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (t) => {
    if (!confirm(`Revoke the token "${t.name}"? Whoever uses it is signed out at once.`)) return;
    await api.del(`/tokens/${t.id}`).catch((err) => setError(err));
    refresh();
  };
  return html`<section class="page">
    <h1>Tokens</h1>
    <form class="form row" onSubmit=${create}>
      <${Field} id="tname" label="Name" error=${error?.forField('name')}><input id="tname" value=${f.name} onInput=${(e) => setF({ ...f, name: e.target.value })} /><//>
      <${Field} id="trole" label="Role" error=${error?.forField('role')}>
        <select id="trole" value=${f.role} onChange=${(e) => setF({ ...f, role: e.target.value })}>
          <option value="domain_admin">domain admin</option><option value="read_only">read only</option><option value="system_admin">system admin</option>
        </select><//>
      ${f.role !== 'system_admin' ? html`<${Field} id="tdomain" label="Domain" error=${error?.forField('domain')}>
        <input id="tdomain" value=${f.domain} onInput=${(e) => setF({ ...f, domain: e.target.value })} /><//>` : null}
      <div class="form-end"><button type="submit">Create token</button></div>
    </form>
    <${FormErrors} error=${error} shown=${['name', 'role', 'domain']} />
    ${created ? html`<div class="notice" role="status"><p>Token for “${created.name}”, shown this once: copy it now.</p><code class="token">${created.token}</code></div>` : null}
    <div class="table-wrap" role="region" aria-label="Tokens" tabindex="0"><table>
      <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Domain</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${(data?.items ?? []).map((t) => html`<tr key=${t.id}><td>${t.name}</td><td>${words(t.role)}</td><td>${t.domain ?? 'every domain'}</td><td>${when(t.createdAt)}</td>
        <td><button type="button" class="quiet" onClick=${() => revoke(t)} aria-label=${`Revoke ${t.name}`}>Revoke</button></td></tr>`)}</tbody>
    </table></div>
  </section>`;
}
