import { html, useState } from './vendor/htm-preact.mjs';
import { api, download } from './api.js';
import { Field } from './scheduleFields.js';

/** Seed 002: a domain's schedules as an OPML file, exported and imported back. */
export function SchedulesPage({ me }) {
  const [domain, setDomain] = useState(me.domain ?? '');
  const [file, setFile] = useState(null);
  const [result, setResult] = useState(null);
  const [error, setError] = useState('');
  const base = `/domains/${encodeURIComponent(domain.trim())}/schedules.opml`;
  const exportOpml = () => download(base, `${domain}-schedules.opml`).catch((e) => setError(e.message));
  const importOpml = async (e) => {
    e.preventDefault();
    if (!file) return setError('Choose an OPML file first.');
    try {
      const r = await api.post(base, await file.text(), { type: 'text/x-opml' });
      setResult(r);
      setError('');
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<section class="page narrow">
    <h1>Schedules (OPML)</h1>
    <p>Every job's schedule of a domain in one OPML file: keep it, edit it, import it back. An import checks the whole file first; nothing changes if any line is refused.</p>
    ${me.role === 'system_admin' ? html`<${Field} id="odomain" label="Domain"><input id="odomain" value=${domain} onInput=${(e) => setDomain(e.target.value)} /><//>` : null}
    <div class="form-end"><button type="button" class="secondary" disabled=${!domain.trim()} onClick=${exportOpml}>Export OPML</button></div>
    ${me.role !== 'read_only' ? html`<form class="form" onSubmit=${importOpml}>
      <${Field} id="opml" label="OPML file to import"><input id="opml" type="file" accept=".opml,.xml,text/x-opml,application/xml" onChange=${(e) => setFile(e.target.files[0])} /><//>
      <div class="form-end"><button type="submit" disabled=${!domain.trim()}>Import OPML</button></div>
    </form>` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${result ? html`<p class="notice" role="status">Updated: ${result.updated.join(', ') || 'none'}. Unchanged: ${result.unchanged.join(', ') || 'none'}.</p>` : null}
  </section>`;
}
