import { html, useEffect, useState } from './vendor/htm-preact.mjs';
import { when } from './format.js';
import { usePoll } from './hooks.js';

const PAGE = 50;

/** The audited actions (the API's operation ids), for the action filter. */
const ACTIONS = [
  'createJob', 'updateJob', 'deleteJob', 'runJob', 'runJobs', 'sendJobEvent', 'cancelRun', 'pauseJob', 'pauseJobs', 'reactivateJob', 'reactivateJobs',
  'pauseDomain', 'reactivateDomain', 'importSchedules', 'sampleJob', 'acceptSample', 'setSecret', 'deleteSecret', 'createToken', 'revokeToken',
];

const OUTCOME_WORDS = { ok: 'done', refused: 'refused', error: 'error' };

/**
 * The audit trail, newest first, as the API gives it: every domain (or one) for system
 * administrators (GET /audit), the token's own domain for the others (GET /domains/:d/audit).
 */
export function AuditPage({ me }) {
  const system = me.role === 'system_admin';
  const [filters, setFilters] = useState({ action: '', domain: '' });
  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [filters.action, filters.domain]);
  const q = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
  if (filters.action) q.set('action', filters.action);
  if (system && filters.domain) q.set('domain', filters.domain);
  const url = system ? `/audit?${q}` : `/domains/${encodeURIComponent(me.domain)}/audit?${q}`;
  const { data, error } = usePoll(url, 10_000);
  const set = (patch) => setFilters({ ...filters, ...patch });
  const items = data?.items ?? [];
  return html`<section class="page">
    <div class="page-head">
      <h1>Audit</h1>
      <span class="count" aria-live="polite">${data ? `${data.total} entr${data.total === 1 ? 'y' : 'ies'}` : ''}</span>
    </div>
    <p class="hint">Who changed or ran what, when, and how it ended${system ? ', in every domain' : `, in domain ${me.domain}`}. Reads are not audited.</p>
    <div class="filters" role="search">
      <label>Action <select value=${filters.action} onChange=${(e) => set({ action: e.target.value })}>
        <option value="">any</option>${ACTIONS.map((a) => html`<option value=${a}>${a}</option>`)}
      </select></label>
      ${system ? html`<label>Domain <input value=${filters.domain} size="12" placeholder="all" onInput=${(e) => set({ domain: e.target.value.trim() })} /></label>` : null}
    </div>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    <div class="table-wrap" role="region" aria-label="Audit entries" tabindex="0">
      <table class="audit">
        <thead><tr>
          <th scope="col">When</th><th scope="col">Who</th><th scope="col">Role</th><th scope="col">Domain</th>
          <th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Detail</th>
        </tr></thead>
        <tbody>
          ${items.map((e) => html`<tr key=${e.id}>
            <td class="nowrap">${when(e.at)}</td>
            <td>${e.who}</td>
            <td class="nowrap">${e.role.replace('_', ' ')}</td>
            <td class="nowrap">${e.domain ?? '—'}</td>
            <td class="mono">${e.action}</td>
            <td class="mono">${e.target}</td>
            <td class=${`nowrap outcome-${e.outcome}`}>${OUTCOME_WORDS[e.outcome] ?? e.outcome} (${e.httpStatus})</td>
            <td class="detail">${e.detail ?? ''}</td>
          </tr>`)}
          ${data && !items.length ? html`<tr><td colspan="8" class="empty">No entry matches.</td></tr>` : null}
        </tbody>
      </table>
    </div>
    ${data && data.total > PAGE ? html`<div class="pager">
      <button type="button" class="secondary" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE))}>Newer</button>
      <span>${offset + 1}–${Math.min(offset + PAGE, data.total)} of ${data.total}</span>
      <button type="button" class="secondary" disabled=${offset + PAGE >= data.total} onClick=${() => setOffset(offset + PAGE)}>Older</button>
    </div>` : null}
  </section>`;
}
