import { html, useEffect, useState } from './vendor/htm-preact.mjs';
import { api } from './api.js';
import { when, words } from './format.js';
import { LogIcon, OutcomeIcon, STATUS_KINDS, StatusIcon } from './icons.js';
import { LogViewer } from './logViewer.js';
import { usePoll, useTaskTypes } from './hooks.js';

const PAGE_SIZES = [20, 50, 200];
const key = (j) => `${j.domain}/${j.id}`;

/** What a run/pause/reactivate answer says, in words, per job. */
const RESULT_WORDS = {
  started: 'Started', queued: 'Queued behind the current run', already_queued: 'Already queued', not_found: 'Not found',
  paused: 'Paused', already_paused: 'Already paused', reactivated: 'Reactivated', not_paused: 'Not paused',
  unavailable: 'No worker answered in time; nothing changed',
};

/** The bulk route of each action on ticked rows: one request per domain, one result per job. */
const BULK = { run: 'run', pause: 'pause', reactivate: 'reactivate' };

function Filters({ me, filters, setFilters, taskTypes }) {
  const set = (patch) => setFilters({ ...filters, ...patch });
  const toggle = (kind) => {
    const hidden = new Set(filters.hidden);
    if (hidden.has(kind)) hidden.delete(kind);
    else hidden.add(kind);
    set({ hidden });
  };
  return html`<div class="filters" role="search">
    <div class="toggles" role="group" aria-label="Show statuses">
      ${STATUS_KINDS.map(({ kind, label }) => html`<button type="button" class=${`toggle icon-${kind}`} aria-pressed=${!filters.hidden.has(kind)}
        onClick=${() => toggle(kind)} title=${label}><span class="dot" aria-hidden="true"></span>${label}</button>`)}
    </div>
    <label>Search <input type="search" value=${filters.q} placeholder="name or identifier" onInput=${(e) => set({ q: e.target.value })} /></label>
    <label>Mode <select value=${filters.mode} onChange=${(e) => set({ mode: e.target.value })}>
      <option value="">any</option><option value="batch">batch</option><option value="realtime">realtime</option><option value="on-demand">on-demand</option>
    </select></label>
    <label>Task type <select value=${filters.taskType} onChange=${(e) => set({ taskType: e.target.value })}>
      <option value="">any</option>${taskTypes.map((t) => html`<option value=${t.name}>${t.name}</option>`)}
    </select></label>
    ${me.role === 'system_admin'
      ? html`<label>Domain <input value=${filters.domain} size="10" placeholder="all" onInput=${(e) => set({ domain: e.target.value.trim() })} /></label>`
      : null}
  </div>`;
}

function listUrl(me, f, offset) {
  const q = new URLSearchParams({ limit: String(f.pageSize), offset: String(offset) });
  if (f.q.trim()) q.set('q', f.q.trim());
  if (f.mode) q.set('mode', f.mode);
  if (f.taskType) q.set('taskType', f.taskType);
  // The status icons are filtered by the server, so the filter covers every page.
  if (f.hidden.size) q.set('icon', STATUS_KINDS.map((k) => k.kind).filter((k) => !f.hidden.has(k)).join(','));
  if (me.role === 'system_admin') {
    if (f.domain) q.set('domain', f.domain);
    return `/jobs?${q}`;
  }
  return `/domains/${encodeURIComponent(me.domain)}/jobs?${q}`;
}

/** The job list (seeds 000 and 003): status icons, filters, ticked rows and their actions. */
export function JobList({ me, query }) {
  const canWrite = me.role !== 'read_only';
  const taskTypes = useTaskTypes();
  const [filters, setFilters] = useState({ hidden: new Set(), q: '', mode: '', taskType: '', domain: '', pageSize: 200 });
  const [offset, setOffset] = useState(0);
  const [ticked, setTicked] = useState(new Set());
  const [results, setResults] = useState({});
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [logsOf, setLogsOf] = useState(null);
  // Every icon switched off: nothing to ask for.
  const allHidden = filters.hidden.size === STATUS_KINDS.length;
  const { data, error, refresh } = usePoll(allHidden ? null : listUrl(me, filters, offset), 5000);
  const rows = allHidden ? [] : data?.items ?? [];
  const deleted = query?.get('deleted');

  useEffect(() => setOffset(0), [filters.q, filters.mode, filters.taskType, filters.domain, filters.pageSize, [...filters.hidden].sort().join()]);

  const tick = (j, on) => {
    const next = new Set(ticked);
    if (on) next.add(key(j));
    else next.delete(key(j));
    setTicked(next);
  };
  const allTicked = rows.length > 0 && rows.every((j) => ticked.has(key(j)));
  const tickAll = (on) => setTicked(on ? new Set(rows.map(key)) : new Set());

  const chosen = () => rows.filter((j) => ticked.has(key(j)));
  /** Run now, Pause (with the note) or Reactivate for the ticked rows: each row gets its own result. */
  const act = async (what) => {
    const jobs = chosen();
    if (!jobs.length) return;
    setBusy(true);
    const out = {};
    await Promise.all([...groupBy(jobs)].map(async ([domain, list]) => {
      const body = { jobs: list.map((j) => j.id), ...(what === 'pause' && note.trim() ? { note: note.trim() } : {}) };
      try {
        const r = await api.post(`/domains/${encodeURIComponent(domain)}/jobs/${BULK[what]}`, body);
        for (const x of r.results) {
          const ok = !['refused', 'not_found', 'unavailable'].includes(x.result);
          out[`${domain}/${x.job}`] = { ok, text: x.result === 'refused' ? `Refused: ${x.reason}` : RESULT_WORDS[x.result] ?? x.result };
        }
      } catch (e) {
        for (const j of list) out[key(j)] = { ok: false, text: e.message };
      }
    }));
    setResults(out);
    setBusy(false);
    refresh();
  };

  return html`<section class="page">
    <div class="page-head">
      <h1>Jobs</h1>
      <span class="count" aria-live="polite">${allHidden ? 'every status hidden' : data ? `${rows.length} shown of ${data.total}` : ''}</span>
    </div>
    <${Filters} me=${me} filters=${filters} setFilters=${setFilters} taskTypes=${taskTypes} />
    ${canWrite ? html`<div class="actions" role="group" aria-label="Actions on ticked jobs">
      <button type="button" disabled=${busy || !ticked.size} onClick=${() => act('run')}>Run now</button>
      <label class="note">Pause note <input value=${note} maxlength="500" onInput=${(e) => setNote(e.target.value)} placeholder="why (optional)" /></label>
      <button type="button" class="secondary" disabled=${busy || !ticked.size} onClick=${() => act('pause')}>Pause</button>
      <button type="button" class="secondary" disabled=${busy || !ticked.size} onClick=${() => act('reactivate')}>Reactivate</button>
      <span class="hint">${ticked.size ? `${ticked.size} ticked` : 'Tick jobs to act on them'}</span>
    </div>` : null}
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    ${deleted ? html`<p class="notice" role="status">Deleted ${deleted}.</p>` : null}
    <div class="table-wrap" role="region" aria-label="Jobs" tabindex="0">
    <table class="jobs">
      <thead><tr>
        ${canWrite ? html`<th scope="col"><input type="checkbox" aria-label="Tick every job shown" checked=${allTicked} onChange=${(e) => tickAll(e.target.checked)} /></th>` : null}
        <th scope="col"><span class="sr-only">Status</span></th><th scope="col"><span class="sr-only">Logs</span></th>
        <th scope="col">Job</th><th scope="col">Task type</th><th scope="col">Mode</th><th scope="col">Domain</th>
        <th scope="col">Schedule</th><th scope="col">Last 5 runs</th><th scope="col">Last run</th><th scope="col">Next run</th><th scope="col">Active</th>
        ${canWrite ? html`<th scope="col">Result</th>` : null}
      </tr></thead>
      <tbody>
        ${rows.map((j) => html`<tr key=${key(j)} class=${ticked.has(key(j)) ? 'ticked' : ''}>
          ${canWrite ? html`<td><input type="checkbox" aria-label=${`Tick ${j.id}`} checked=${ticked.has(key(j))} onChange=${(e) => tick(j, e.target.checked)} /></td>` : null}
          <td><${StatusIcon} status=${j.status} outcome=${j.lastOutcome} reason=${j.lastReason} /></td>
          <td><button type="button" class="icon-button" aria-label=${`Logs of ${j.id}${j.unreadLogs ? ' (unread)' : ''}`} title=${j.unreadLogs ? 'Unread logs' : 'Logs'}
            onClick=${() => setLogsOf(j)}><${LogIcon} unread=${j.unreadLogs} /></button></td>
          <td><a href=${`#/jobs/${encodeURIComponent(j.domain)}/${encodeURIComponent(j.id)}`}><span class="name">${j.name}</span></a><div class="sub mono">${j.id}</div></td>
          <td>${j.taskType}<div class="sub">${j.direction}</div></td>
          <td>${j.mode}</td>
          <td class="nowrap">${j.domain}</td>
          <td class="summary" title=${j.summary}>${scheduleWords(j)}</td>
          <td class="nowrap last-runs">${(j.lastRuns ?? []).map((r) => html`<${OutcomeIcon} key=${r.number} outcome=${r.outcome} reason=${r.reason ? `run ${r.number}: ${r.reason}` : `run ${r.number}`} />`)}</td>
          <td class="nowrap">${when(j.lastRunAt)}</td>
          <td class="nowrap">${when(j.nextRunAt)}</td>
          <td>${j.active ? 'yes' : 'no'}<div class="sub">${words(j.status)}</div></td>
          ${canWrite ? html`<td class=${`result ${results[key(j)]?.ok === false ? 'bad' : ''}`} aria-live="polite">${results[key(j)]?.text ?? ''}</td>` : null}
        </tr>`)}
        ${(data || allHidden) && !rows.length ? html`<tr><td colspan="13" class="empty">No job matches these filters.</td></tr>` : null}
      </tbody>
    </table>
    </div>
    <div class="pager">
      ${data && !allHidden && data.total > filters.pageSize ? html`
        <button type="button" class="secondary" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - filters.pageSize))}>Previous</button>
        <span>${offset + 1}–${Math.min(offset + filters.pageSize, data.total)} of ${data.total}</span>
        <button type="button" class="secondary" disabled=${offset + filters.pageSize >= data.total} onClick=${() => setOffset(offset + filters.pageSize)}>Next</button>` : null}
      <label>Rows per page <select value=${filters.pageSize} onChange=${(e) => setFilters({ ...filters, pageSize: Number(e.target.value) })}>
        ${PAGE_SIZES.map((n) => html`<option value=${n}>${n}</option>`)}
      </select></label>
    </div>
    ${logsOf ? html`<${LogViewer} job=${logsOf} onClose=${() => { setLogsOf(null); refresh(); }} />` : null}
  </section>`;
}

/** The schedule part of the one-line summary (after the last ", "), e.g. "weekdays at 06:00". */
function scheduleWords(j) {
  const m = /;\s*([^;]+)$/.exec(j.summary ?? '');
  return m ? m[1] : j.summary;
}

function groupBy(jobs) {
  const m = new Map();
  for (const j of jobs) m.set(j.domain, [...(m.get(j.domain) ?? []), j]);
  return m;
}

