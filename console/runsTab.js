import { html, useState } from './vendor/htm-preact.mjs';
import { download, jobPath } from './api.js';
import { duration, when, words } from './format.js';
import { OutcomeIcon } from './icons.js';
import { usePoll } from './hooks.js';
import { LogViewer } from './logViewer.js';
import { temporalLink } from './temporalLinks.js';

const OUTCOMES = ['running', 'completed', 'completed_with_warnings', 'partially_completed', 'failed', 'halted', 'canceled'];

const counterWords = (c) => Object.entries(c ?? {}).filter(([, v]) => v).map(([k, v]) => `${v.toLocaleString()} ${words(k)}`).join(', ') || '—';

/** Latest executions (seed 003, seed 001's run history): filter by outcome, open a log, download rejected rows. */
export function RunsTab({ me, job }) {
  const [outcome, setOutcome] = useState('');
  const [logOf, setLogOf] = useState(null);
  const [error, setError] = useState('');
  const url = `${jobPath(job.domain, job.id)}/runs?limit=20${outcome ? `&outcome=${outcome}` : ''}`;
  const { data } = usePoll(url, 4000);
  const save = (n) => download(`${jobPath(job.domain, job.id)}/runs/${n}/rejected.csv`, `${job.id}-run-${n}-rejected.csv`).catch((e) => setError(e.message));
  return html`<div>
    <label>Outcome <select value=${outcome} onChange=${(e) => setOutcome(e.target.value)}>
      <option value="">all</option>${OUTCOMES.map((o) => html`<option value=${o}>${words(o)}</option>`)}
    </select></label>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <div class="table-wrap" role="region" aria-label="Runs" tabindex="0"><table class="runs">
      <thead><tr><th scope="col">Run</th><th scope="col">Outcome</th><th scope="col">Trigger</th><th scope="col">Counters</th>
        <th scope="col">Failed %</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col"><span class="sr-only">Links</span></th></tr></thead>
      <tbody>
        ${(data?.items ?? []).map((r) => html`<tr key=${r.number}>
          <td>${r.number}${r.attempt > 1 ? html`<div class="sub">attempt ${r.attempt}</div>` : null}</td>
          <td><${OutcomeIcon} outcome=${r.endedAt ? r.status : 'running'} reason=${r.reason} /> ${words(r.endedAt ? r.status : r.status || 'running')}
            ${r.reason ? html`<div class="sub reason">${r.reason}</div>` : null}</td>
          <td>${words(r.trigger)}</td>
          <td>${counterWords(r.counters)}</td>
          <td>${r.failedPct ? html`${r.failedPct.toFixed(1)} % <button type="button" class="link" onClick=${() => save(r.number)}
            aria-label=${`Download rejected rows of run ${r.number}`}>rejected rows</button>` : '0 %'}</td>
          <td class="nowrap">${when(r.startedAt)}</td>
          <td>${duration(r.startedAt, r.endedAt)}</td>
          <td class="links"><button type="button" class="link" onClick=${() => setLogOf(r.number)} aria-label=${`Log of run ${r.number}`}>log</button>
            ${temporalLink(me, r.workflowId, 'Temporal Web')}</td>
        </tr>`)}
        ${data && !data.items.length ? html`<tr><td colspan="8" class="empty">No run${outcome ? ' with this outcome' : ' yet'}.</td></tr>` : null}
      </tbody>
    </table></div>
    ${logOf ? html`<${LogViewer} job=${job} run=${logOf} onClose=${() => setLogOf(null)} />` : null}
  </div>`;
}
