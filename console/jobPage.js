import { html, useEffect, useState } from './vendor/htm-preact.mjs';
import { api, jobPath } from './api.js';
import { when, words } from './format.js';
import { StatusIcon } from './icons.js';
import { FormErrors, usePoll, useTaskTypes } from './hooks.js';
import { Field, ScheduleFields, scheduleForm, schedulingOf } from './scheduleFields.js';
import { RunsTab } from './runsTab.js';
import { commaList, FilterFields } from './filterFields.js';
import { CredentialsTab } from './credentialsTab.js';
import { temporalLink } from './temporalLinks.js';

const TABS = [['information', 'Information'], ['scheduling', 'Scheduling'], ['executions', 'Latest executions'], ['credentials', 'Credentials']];

/** A job's page (seed 003): its state and actions, then the tabs. */
export function JobPage({ me, domain, id, tab }) {
  const canWrite = me.role !== 'read_only';
  const base = `#/jobs/${encodeURIComponent(domain)}/${encodeURIComponent(id)}`;
  const { data: job, error, refresh } = usePoll(jobPath(domain, id), 4000);
  if (error && !job) {
    return html`<section class="page"><h1>Job ${id}</h1><p class="error" role="alert">${error.status === 404 ? `There is no job ${id} in domain ${domain} for this token.` : error.message}</p>
      <p><a href="#/">Back to the jobs</a></p></section>`;
  }
  if (!job) return html`<section class="page"><h1>Job ${id}</h1><p>Loading…</p></section>`;
  const tabs = TABS.filter(([t]) => t !== 'credentials' || canWrite);
  return html`<section class="page">
    <p class="crumbs"><a href="#/">Jobs</a> › ${job.domain}</p>
    <div class="page-head">
      <${StatusIcon} status=${job.status} outcome=${job.lastOutcome} reason=${job.halted?.reason ?? job.lastRuns?.[0]?.reason} />
      <h1>${job.name}</h1>
      <span class="badge">${words(job.status)}</span>
      ${job.currentRun ? html`<span class="badge running">run ${job.currentRun.number}${job.currentRun.phase ? `: ${words(job.currentRun.phase)}` : ''}</span>` : null}
      ${temporalLink(me, `job-${job.domain}-${job.id}`, 'Open in Temporal Web')}
    </div>
    <div class="facts">
      <span>${job.direction} <strong>${job.taskType}</strong></span><span>mode <strong>${job.mode}</strong></span>
      <span>${job.active ? 'active' : 'inactive'}</span>
      <span>last run <strong>${when(job.lastRunAt)}</strong>${job.lastOutcome ? ` (${words(job.lastOutcome)})` : ''}</span>
      <span>next run <strong>${when(job.nextRunAt)}</strong></span>
    </div>
    ${job.paused ? html`<p class="notice">Paused by ${job.paused.by} on ${when(job.paused.at)}${job.paused.note ? html`: “${job.paused.note}”` : ''}.</p>` : null}
    ${job.halted ? html`<p class="notice bad">Halted on ${when(job.halted.at)}: ${job.halted.reason}</p>` : null}
    ${canWrite ? html`<${JobActions} job=${job} refresh=${refresh} />` : null}
    <div class="tabs">
      <div role="tablist" aria-label="Job">
        ${tabs.map(([t, label]) => html`<a role="tab" id=${`tab-${t}`} href=${`${base}?tab=${t}`} aria-selected=${tab === t ? 'true' : 'false'} aria-controls="tabpanel">${label}</a>`)}
      </div>
      ${job.direction === 'import' ? html`<a class="tab-link" href=${`${base}/sample`}>Sample file</a>` : null}
    </div>
    <div id="tabpanel" role="tabpanel" aria-labelledby=${`tab-${tab}`}>
      ${tab === 'scheduling' ? html`<${SchedulingTab} job=${job} canWrite=${canWrite} refresh=${refresh} />`
        : tab === 'executions' ? html`<${RunsTab} me=${me} job=${job} />`
        : tab === 'credentials' && canWrite ? html`<${CredentialsTab} job=${job} />`
        : html`<${InformationTab} job=${job} canWrite=${canWrite} refresh=${refresh} />`}
    </div>
  </section>`;
}

function JobActions({ job, refresh }) {
  const [note, setNote] = useState('');
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const act = async (what, body) => {
    setBusy(true);
    try {
      const r = await api.post(`${jobPath(job.domain, job.id)}/${what}`, body);
      setResult({ ok: true, text: { started: 'Run started.', queued: 'Queued behind the current run.', already_queued: 'A run is already queued.', paused: 'Paused.', already_paused: 'Already paused (by whoever paused it first).', reactivated: 'Reactivated.', not_paused: 'It was neither paused nor halted.', canceling: 'Canceling the run.' }[r.result] ?? r.result });
      refresh();
    } catch (e) {
      setResult({ ok: false, text: e.message });
    }
    setBusy(false);
  };
  const paused = job.status === 'paused' || job.status === 'halted';
  const [confirming, setConfirming] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await api.del(jobPath(job.domain, job.id));
      location.hash = `#/?deleted=${encodeURIComponent(`${job.domain}/${job.id}`)}`;
    } catch (e) {
      setResult({ ok: false, text: e.message });
      setBusy(false);
      setConfirming(false);
    }
  };
  return html`<div class="actions" role="group" aria-label="Job actions">
    ${job.mode !== 'realtime' ? html`<button type="button" disabled=${busy} onClick=${() => act('run')}>Run now</button>` : null}
    ${job.currentRun ? html`<button type="button" class="secondary" disabled=${busy} onClick=${() => act('cancel')}>Cancel run</button>` : null}
    ${paused
      ? html`<button type="button" disabled=${busy} onClick=${() => act('reactivate')}>Reactivate</button>`
      : html`<label class="note">Pause note <input value=${note} maxlength="500" placeholder="why (optional)" onInput=${(e) => setNote(e.target.value)} /></label>
        <button type="button" class="secondary" disabled=${busy} onClick=${() => act('pause', note.trim() ? { note: note.trim() } : undefined)}>Pause</button>`}
    <span class="spacer"></span>
    ${confirming
      ? html`<span class="confirm" role="group" aria-label="Confirm the deletion">
          <span>Delete ${job.id} with its runs, logs and credentials? This cannot be undone.</span>
          <button type="button" class="danger" disabled=${busy} onClick=${remove}>Delete for good</button>
          <button type="button" class="secondary" disabled=${busy} onClick=${() => setConfirming(false)}>Keep it</button>
        </span>`
      : html`<button type="button" class="danger" disabled=${busy} onClick=${() => setConfirming(true)}>Delete job</button>`}
    ${result ? html`<span class=${`result ${result.ok ? '' : 'bad'}`} role="status">${result.text}</span>` : null}
  </div>`;
}

/** Saves `changes` with PATCH; the API's errors come back to the fields they name. */
function useSave(job, refresh) {
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const save = async (changes) => {
    setSaved(false);
    try {
      await api.patch(jobPath(job.domain, job.id), changes);
      setError(null);
      setSaved(true);
      refresh();
    } catch (e) {
      setError(e);
    }
  };
  return { error, saved, save };
}

/**
 * Which rules a job has, from its task type's facts (GET /task-types): the filters its type
 * applies (imports skip, exports leave out the other rows), and the settings its imports'
 * processing reads (the canceled-section settings of sections).
 */
function rulesOf(job, taskType) {
  const filters = taskType?.filters ?? [];
  const settings = job.direction === 'import' ? taskType?.settings ?? [] : [];
  return {
    campuses: filters.includes('campuses'),
    terms: filters.includes('terms'),
    canceled: settings.includes('importCanceled') && settings.includes('deleteCanceled'),
    maxRejected: job.direction === 'import',
    guard: job.direction === 'import',
  };
}

function InformationTab({ job, canWrite, refresh }) {
  const urlField = job.direction === 'import' ? 'sourceUrl' : 'destinationUrl';
  const taskType = useTaskTypes().find((t) => t.name === job.taskType);
  const has = rulesOf(job, taskType);
  const list = (xs) => (xs ?? []).join(', ');
  const initial = () => ({
    name: job.name, url: job[urlField] ?? '', sendReport: job.sendReport, recipients: list(job.recipients), active: job.active,
    campuses: list(job.rules?.campuses), terms: list(job.rules?.terms), maxRejected: job.rules?.maxRejected ?? '',
    importCanceled: job.rules?.importCanceled ?? false, deleteCanceled: job.rules?.deleteCanceled ?? true,
    ...guardForm(job.rules?.rowCountGuard),
  });
  const [f, setF] = useState(initial);
  useEffect(() => setF(initial()), [job.id]);
  const { error, saved, save } = useSave(job, refresh);
  const err = (k) => error?.forField(k);
  const submit = (e) => {
    e.preventDefault();
    const changes = { name: f.name, [urlField]: f.url, sendReport: f.sendReport, recipients: f.recipients.split(/[,\s]+/).filter(Boolean), active: f.active };
    if (has.campuses || has.terms || has.maxRejected || has.canceled || has.guard) {
      // The rules are replaced as a whole: the rules shown here change, the others (the reading rules of the Sample file page) stay.
      const rules = { ...job.rules };
      const setList = (k) => {
        if (commaList(f[k]).length) rules[k] = commaList(f[k]);
        else delete rules[k];
      };
      if (has.campuses) setList('campuses');
      if (has.terms) setList('terms');
      if (has.maxRejected) {
        if (String(f.maxRejected).trim() !== '') rules.maxRejected = Number(f.maxRejected);
        else delete rules.maxRejected;
      }
      if (has.canceled) Object.assign(rules, { importCanceled: f.importCanceled, deleteCanceled: f.deleteCanceled });
      if (has.guard) {
        if (f.guardOn) rules.rowCountGuard = guardOf(f);
        else delete rules.rowCountGuard;
      }
      changes.rules = rules;
    }
    save(changes);
  };
  // novalidate: the API's message, at the field it names, says what is wrong and what is allowed.
  return html`<form class="form" onSubmit=${submit} novalidate>
    <fieldset disabled=${!canWrite}>
      <legend class="sr-only">Information</legend>
      <div class="readonly-pair"><span class="label">Identifier</span><span class="mono">${job.id}</span></div>
      <div class="readonly-pair"><span class="label">Description</span><span>${job.description || '—'}</span></div>
      <div class="readonly-pair"><span class="label">Task</span><span>${job.direction} ${job.taskType}, ${job.mode}</span></div>
      <${Field} id="name" label="Name" error=${err('name')}><input id="name" value=${f.name} onInput=${(e) => setF({ ...f, name: e.target.value })} /><//>
      <${Field} id="url" label=${job.direction === 'import' ? 'Source URL' : 'Destination URL'} error=${err(urlField)}
        hint="file:, ftp:, ftps: or https:. Passwords go in Credentials, never in the URL.">
        <input id="url" class="mono" value=${f.url} onInput=${(e) => setF({ ...f, url: e.target.value })} /><//>
      <label class="inline"><input type="checkbox" checked=${f.active} onChange=${(e) => setF({ ...f, active: e.target.checked })} /> Active</label>
      <label class="inline"><input type="checkbox" checked=${f.sendReport} onChange=${(e) => setF({ ...f, sendReport: e.target.checked })} /> Send report</label>
      <${Field} id="recipients" label="Report recipients (comma-separated emails)" error=${err('recipients')}>
        <input id="recipients" value=${f.recipients} onInput=${(e) => setF({ ...f, recipients: e.target.value })} /><//>
      ${job.direction === 'import' || has.campuses || has.terms ? html`<h3>Rules</h3>` : null}
      ${job.direction === 'import' ? html`
        <div class="readonly-pair"><span class="label">Reading</span><span>${readingWords(job.rules)} · <a href=${`#/jobs/${encodeURIComponent(job.domain)}/${encodeURIComponent(job.id)}/sample`}>change on the Sample file page</a></span></div>` : null}
      <div class="row">
        <${FilterFields} filters=${taskType?.filters ?? []} direction=${job.direction} values=${f} set=${(change) => setF({ ...f, ...change })} err=${err} />
        ${has.maxRejected ? html`<${Field} id="maxRejected" label="Most rejected rows before the run halts" error=${err('rules.maxRejected')}>
          <input id="maxRejected" type="number" min="0" value=${f.maxRejected} onInput=${(e) => setF({ ...f, maxRejected: e.target.value })} /><//>` : null}
      </div>
      ${has.canceled ? html`<fieldset class="canceled">
        <legend>Canceled sections (status “canceled” in the file)</legend>
        <label class="inline"><input type="checkbox" checked=${f.importCanceled} onChange=${(e) => setF({ ...f, importCanceled: e.target.checked })} /> Import canceled sections</label>
        <label class="inline"><input type="checkbox" checked=${f.deleteCanceled} disabled=${f.importCanceled} aria-describedby="deleteCanceled-hint"
          onChange=${(e) => setF({ ...f, deleteCanceled: e.target.checked })} /> Delete existing sections that become canceled</label>
        <p class="hint" id="deleteCanceled-hint">${f.importCanceled ? 'Canceled sections are imported like the others, so none is deleted.'
          : f.deleteCanceled ? 'A canceled section is not imported; one already imported is deleted. Each is counted as a warning.'
          : 'A canceled section is not imported; one already imported is kept as it was. Each is counted as a warning.'}</p>
        ${err('rules.importCanceled') || err('rules.deleteCanceled') ? html`<p class="field-error" role="alert">${err('rules.importCanceled') ?? err('rules.deleteCanceled')}</p>` : null}
      </fieldset>` : null}
      ${has.guard ? html`<${RowCountGuardFields} f=${f} setF=${setF} err=${err} />` : null}
      <${FormErrors} error=${error} shown=${['name', urlField, 'recipients', 'rules.campuses', 'rules.terms', 'rules.maxRejected', ...(has.canceled ? ['rules.importCanceled', 'rules.deleteCanceled'] : []), ...(has.guard ? GUARD_FIELDS : [])]} />
      ${canWrite ? html`<div class="form-end"><button type="submit">Save</button>${saved ? html`<span class="result" role="status">Saved.</span>` : null}</div>` : null}
    </fieldset>
  </form>`;
}

const GUARD_FIELDS = ['rules.rowCountGuard.belowPercent', 'rules.rowCountGuard.lastRuns', 'rules.rowCountGuard.action'];

/** The row-count guard as the form edits it: off when the job has none, with 50 % and the API's 10 runs to start from. */
const guardForm = (g) => ({ guardOn: !!g, belowPercent: g?.belowPercent ?? 50, lastRuns: g?.lastRuns ?? 10, guardAction: g?.action ?? 'warn' });

/** The form's guard as the API takes it; what is not a number goes as typed, so the API names the field. */
const guardOf = (f) => {
  const n = (v) => (String(v).trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  return { belowPercent: n(f.belowPercent), lastRuns: n(f.lastRuns), action: f.guardAction };
};

/** The row-count guard (README, Row-count guard): a run reading far fewer rows than usual is flagged or halted. */
function RowCountGuardFields({ f, setF, err }) {
  return html`<fieldset class="guard">
    <legend>Unusual row count</legend>
    <label class="inline"><input type="checkbox" checked=${f.guardOn} onChange=${(e) => setF({ ...f, guardOn: e.target.checked })} /> Check each run's row count against the job's usual</label>
    ${f.guardOn ? html`<div class="row">
      <${Field} id="belowPercent" label="Unusual below (% of the median)" error=${err('rules.rowCountGuard.belowPercent')}>
        <input id="belowPercent" type="number" min="1" max="100" value=${f.belowPercent} onInput=${(e) => setF({ ...f, belowPercent: e.target.value })} /><//>
      <${Field} id="lastRuns" label="Median of the last completed runs" error=${err('rules.rowCountGuard.lastRuns')} hint="At least 3; nothing is checked before the job has that many.">
        <input id="lastRuns" type="number" min="3" max="100" value=${f.lastRuns} onInput=${(e) => setF({ ...f, lastRuns: e.target.value })} /><//>
      <${Field} id="guardAction" label="Then" error=${err('rules.rowCountGuard.action')}>
        <select id="guardAction" value=${f.guardAction} onChange=${(e) => setF({ ...f, guardAction: e.target.value })}>
          <option value="warn">warn: the run ends with a warning</option>
          <option value="halt">halt: nothing is loaded, the file is kept for a rerun</option>
        </select><//>
    </div>` : null}
  </fieldset>`;
}

function SchedulingTab({ job, canWrite, refresh }) {
  const [f, setF] = useState(() => scheduleForm(job.scheduling, job.timezone));
  const { error, saved, save } = useSave(job, refresh);
  const submit = (e) => {
    e.preventDefault();
    const scheduling = schedulingOf(f);
    save({ scheduling, ...(scheduling.timing?.timezone ? { timezone: scheduling.timing.timezone } : {}) });
  };
  return html`<form class="form" onSubmit=${submit}>
    ${job.mode === 'on-demand' ? html`<p>An on-demand job runs on events while it is active; it has no schedule.</p>` : html`
      <${ScheduleFields} form=${f} set=${setF} mode=${job.mode} direction=${job.direction} taskType=${job.taskType} error=${error} disabled=${!canWrite} />`}
    <p>Next run as saved: <strong>${job.nextRunAt ? when(job.nextRunAt) : 'none planned'}</strong></p>
    <${FormErrors} error=${error} shown=${['scheduling']} />
    ${canWrite && job.mode !== 'on-demand' ? html`<div class="form-end"><button type="submit">Save schedule</button>${saved ? html`<span class="result" role="status">Saved.</span>` : null}</div>` : null}
  </form>`;
}

const ENCODING_WORDS = { 'utf-8': 'UTF-8', latin1: 'Latin-1', 'windows-1252': 'Windows-1252', 'utf-16le': 'UTF-16 LE', 'utf-16be': 'UTF-16 BE' };
const DELIMITER_WORDS = { ',': 'commas', ';': 'semicolons', '\t': 'tabs', '|': 'pipes' };

/** How the job reads its files, in words: "Latin-1, semicolons, 2 columns renamed". */
function readingWords(rules) {
  if (!rules) return '—';
  const renamed = Object.keys(rules.mapping ?? {}).length;
  return [ENCODING_WORDS[rules.encoding] ?? rules.encoding, DELIMITER_WORDS[rules.delimiter] ?? `"${rules.delimiter}"`,
    rules.quote && rules.quote !== '"' ? `quoted with ${rules.quote}` : null, rules.header === false ? 'no header line' : null,
    renamed ? `${renamed} column${renamed === 1 ? '' : 's'} mapped by name` : null].filter(Boolean).join(', ');
}
