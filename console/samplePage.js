import { html, useState } from './vendor/htm-preact.mjs';
import { api, jobPath } from './api.js';
import { usePoll, useTaskTypes } from './hooks.js';
import { Field } from './scheduleFields.js';

const ENCODINGS = [['utf-8', 'UTF-8'], ['latin1', 'Latin-1 (ISO-8859-1)'], ['windows-1252', 'Windows-1252'], ['utf-16le', 'UTF-16 LE'], ['utf-16be', 'UTF-16 BE']];
const DELIMITERS = [[',', 'comma ,'], [';', 'semicolon ;'], ['\t', 'tab'], ['|', 'pipe |']];
const OTHER = 'other';
const listed = (d) => DELIMITERS.some(([v]) => v === d);

/**
 * Seed 001's Provide Sample File: upload a sample (or read the job's own source), see the
 * proposed encoding, delimiter and mapping, change them, check the preview and the problems,
 * then accept: the rules are saved with the job.
 */
export function SamplePage({ me, domain, id }) {
  const canWrite = me.role !== 'read_only';
  const path = `${jobPath(domain, id)}/sample`;
  const { data: state, refresh } = usePoll(path, 0);
  const { data: job } = usePoll(jobPath(domain, id), 0);
  const taskTypes = useTaskTypes();
  const fields = taskTypes.find((t) => t.name === job?.taskType)?.fields ?? [];
  const [file, setFile] = useState(null);
  const [proposal, setProposal] = useState(null);
  const [rules, setRules] = useState(null);
  const [error, setError] = useState(null);
  const [accepted, setAccepted] = useState(false);
  const [busy, setBusy] = useState(false);

  const [otherDelimiter, setOtherDelimiter] = useState(false); // "other…" chosen: the delimiter is typed
  const [from, setFrom] = useState(null); // what the proposal was made from: 'file' or 'source'
  /** Samples the file (or the source); with `choices`, the sample is read again with the edited rules. */
  const sample = async (fromSource, choices) => {
    setBusy(true);
    setError(null);
    setAccepted(false);
    const q = choices ? `?${new URLSearchParams({
      encoding: choices.encoding, delimiter: choices.delimiter, quote: choices.quote, header: String(choices.header !== false), mapping: JSON.stringify(choices.mapping ?? {}),
    })}` : '';
    try {
      const r = fromSource ? await api.post(`${path}${q}`, { fromSource: true }) : await api.post(`${path}${q}`, file, { type: 'application/octet-stream' });
      setFrom(fromSource ? 'source' : 'file');
      setProposal(r);
      setRules(r.proposedRules);
      setOtherDelimiter(!listed(r.proposedRules.delimiter));
      refresh();
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  const accept = async () => {
    try {
      await api.post(`${path}/accept`, { rules });
      setAccepted(true);
      setError(null);
      refresh();
    } catch (e) {
      setError(e);
    }
  };
  // A column named like a field goes to it without a mapping entry (the API's rule).
  const sameName = (header) => fields.find((f) => f.toLowerCase() === header.trim().toLowerCase());
  const mapTo = (header, field) => {
    const mapping = { ...rules.mapping };
    if (field && field !== sameName(header)) mapping[header] = field;
    else delete mapping[header];
    setRules({ ...rules, mapping });
  };
  /** An error the API gave for a reading rule: "check again" names the query's field (quote), accepting names the rules' (rules.quote). */
  const fieldError = (k) => error?.forField?.(`rules.${k}`) ?? error?.errors?.find((x) => x.in === 'query' && x.field === k)?.message;
  const base = `#/jobs/${encodeURIComponent(domain)}/${encodeURIComponent(id)}`;
  const previewFields = proposal ? [...new Set(proposal.preview.flatMap((r) => Object.keys(r.values ?? {})))] : [];

  return html`<section class="page">
    <p class="crumbs"><a href="#/">Jobs</a> › <a href=${base}>${job?.name ?? id}</a></p>
    <h1>Sample file</h1>
    <p>Setup status: <strong>${state?.status?.replace('_', ' ') ?? '…'}</strong></p>
    ${state?.problems?.length && !proposal ? html`<div class="notice bad"><p>The last sample's problems:</p><ul>${state.problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : null}
    ${canWrite ? html`<div class="form row">
      <${Field} id="samplefile" label="Sample file"><input id="samplefile" type="file" accept=".csv,.txt,.xml,text/csv" onChange=${(e) => setFile(e.target.files[0])} /><//>
      <div class="form-end"><button type="button" disabled=${busy || !file} onClick=${() => sample(false)}>Upload and analyse</button>
        <button type="button" class="secondary" disabled=${busy} onClick=${() => sample(true)}>Read from the source</button></div>
    </div>` : null}
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    ${proposal ? html`
      <h2>Proposal</h2>
      ${proposal.problems.length ? html`<div class="notice bad" role="status"><p>Problems:</p><ul>${proposal.problems.map((p) => html`<li>${p}</li>`)}</ul></div>`
        : html`<p class="notice" role="status">No problems: the proposal validates.</p>`}
      <div class="form row">
        <${Field} id="encoding" label="Encoding" error=${fieldError('encoding')}>
          <select id="encoding" value=${rules.encoding} onChange=${(e) => setRules({ ...rules, encoding: e.target.value })}>
            ${ENCODINGS.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select><//>
        <${Field} id="delimiter" label="Delimiter" error=${otherDelimiter ? null : fieldError('delimiter')}>
          <select id="delimiter" value=${otherDelimiter ? OTHER : rules.delimiter} onChange=${(e) => {
            const other = e.target.value === OTHER;
            setOtherDelimiter(other);
            if (!other) setRules({ ...rules, delimiter: e.target.value });
          }}>
            ${DELIMITERS.map(([v, l]) => html`<option value=${v}>${l}</option>`)}<option value=${OTHER}>other…</option></select><//>
        ${otherDelimiter ? html`<${Field} id="otherDelimiter" narrow label="Other delimiter (1 to 4 characters)" error=${fieldError('delimiter')}>
          <input id="otherDelimiter" class="mono" size="6" maxlength="4" value=${rules.delimiter} onInput=${(e) => setRules({ ...rules, delimiter: e.target.value })} /><//>` : null}
        <${Field} id="quote" narrow label="Quote character" error=${fieldError('quote')}>
          <input id="quote" class="mono" size="3" maxlength="1" value=${rules.quote} onInput=${(e) => setRules({ ...rules, quote: e.target.value })} /><//>
        <label class="inline header-line"><input type="checkbox" checked=${rules.header !== false} onChange=${(e) => setRules({ ...rules, header: e.target.checked })} /> First line is a header</label>
      </div>
      ${rules.header === false ? html`<p class="hint block">Without a header line, the columns are read in the order of the task type's fields: ${fields.join(', ')}.</p>` : null}
      <h3>Mapping</h3>
      <div class="table-wrap narrow"><table class="mapping"><thead><tr><th scope="col">Column in the file</th><th scope="col">Field</th></tr></thead><tbody>
        ${proposal.headers.map((h) => html`<tr key=${h}><td class="mono">${h}</td><td>
          <select aria-label=${`Field for column ${h}`} value=${rules.mapping[h] ?? sameName(h) ?? ''} onChange=${(e) => mapTo(h, e.target.value)}>
            ${sameName(h) ? null : html`<option value="">(not imported)</option>`}${fields.map((f) => html`<option value=${f}>${f}</option>`)}</select>
          ${error?.forField?.(`rules.mapping.${h}`) ? html`<p class="field-error" role="alert">${error.forField(`rules.mapping.${h}`)}</p>` : null}</td></tr>`)}
      </tbody></table></div>
      <h3>Preview</h3>
      ${JSON.stringify(rules) !== JSON.stringify(proposal.proposedRules)
        ? html`<div class="warning" role="status">The preview and the problems are the proposal's, before your changes.
            <button type="button" class="secondary" disabled=${busy} onClick=${() => sample(from === 'source', rules)}>Check again with my changes</button></div>` : null}
      <div class="table-wrap" role="region" aria-label="Preview" tabindex="0"><table class="preview"><thead><tr><th scope="col">Line</th>${previewFields.map((f) => html`<th scope="col">${f}</th>`)}<th scope="col">Problem</th></tr></thead><tbody>
        ${proposal.preview.map((r) => html`<tr key=${r.line} class=${r.rejected ? 'rejected' : ''}><td>${r.line}</td>
          ${previewFields.map((f) => html`<td>${r.values?.[f] ?? ''}</td>`)}<td>${r.rejected ? problemWords(r.rejected) : ''}</td></tr>`)}
      </tbody></table></div>
      ${canWrite ? html`<div class="form-end"><button type="button" onClick=${accept}>Accept these rules</button>
        ${accepted ? html`<span class="result" role="status">Rules saved with the job.</span>` : null}</div>` : null}` : null}
  </section>`;
}

/** A preview row's problem: the reason, with its column in front unless it already says it. */
function problemWords({ column, reason }) {
  return column && !reason.startsWith(`${column}:`) ? `${column}: ${reason}` : reason;
}
