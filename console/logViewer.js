import { html, useEffect, useRef, useState } from './vendor/htm-preact.mjs';
import { api, jobPath, readEvents } from './api.js';
import { clock, words } from './format.js';

/**
 * The log popup (seed 003): the lines of a run as they arrive (Server-Sent Events while it
 * runs). Reading them clears the job's unread flag. Without a run number, the job's latest run.
 */
export function LogViewer({ job, run: runNumber, onClose }) {
  const [lines, setLines] = useState([]);
  const [run, setRun] = useState(runNumber ?? null);
  const [state, setState] = useState('connecting');
  const [error, setError] = useState('');
  const dialog = useRef(null);
  const end = useRef(null);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      let n = runNumber;
      if (!n) {
        const runs = await api.get(`${jobPath(job.domain, job.id)}/runs?limit=1`);
        n = runs.items[0]?.number;
        if (!n) return setState('none');
        setRun(n);
      }
      setState('live');
      await readEvents(`${jobPath(job.domain, job.id)}/runs/${n}/logs/stream`, ({ event, data }) => {
        if (event === 'log') setLines((l) => [...l, data]);
        if (event === 'end') setState(`ended: ${words(data.status)}`);
      }, controller.signal);
    })().catch((e) => setError(e.message));
    return () => controller.abort();
  }, [job.domain, job.id, runNumber]);

  useEffect(() => end.current?.scrollIntoView({ block: 'nearest' }), [lines.length]);

  return html`<dialog ref=${dialog} class="logs" aria-labelledby="log-title" onClose=${onClose}>
    <div class="dialog-head">
      <h2 id="log-title">Log of ${job.id}${run ? `, run ${run}` : ''}</h2>
      <span class=${`live ${state === 'live' ? 'on' : ''}`} role="status">${state === 'live' ? 'Live' : state === 'none' ? 'No run yet' : state === 'connecting' ? 'Connecting…' : words(state)}</span>
      <button type="button" class="quiet" onClick=${() => dialog.current?.close()}>Close</button>
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <ol class="log-lines" aria-label="Log lines">
      ${lines.map((l) => html`<li key=${l.id} class=${`level-${l.level}`}><time datetime=${l.at}>${clock(l.at)}</time> <span class="level">${l.level}</span> ${l.message}</li>`)}
      <li ref=${end} class="end" aria-hidden="true"></li>
    </ol>
  </dialog>`;
}
