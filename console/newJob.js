import { html, useState } from './vendor/htm-preact.mjs';
import { api, ApiError } from './api.js';
import { FormErrors, useTaskTypes } from './hooks.js';
import { commaList, FilterFields } from './filterFields.js';
import { Field, SCHEDULE_FIELDS, ScheduleFields, scheduleForm, schedulingOf } from './scheduleFields.js';

/** Seed 002's Add Task: direction, task type, mode, title, URL, recipients, schedule. */
export function NewJob({ me }) {
  const taskTypes = useTaskTypes();
  const [f, setF] = useState({ domain: me.domain ?? '', direction: 'import', taskType: '', mode: 'batch', id: '', name: '', description: '', url: '', recipients: '', sendReport: false, active: true, campuses: '', terms: '' });
  const [sched, setSched] = useState(() => scheduleForm({ type: 'disabled' }, 'UTC'));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (patch) => setF({ ...f, ...patch });
  const types = taskTypes.filter((t) => t.directions.includes(f.direction));
  const taskType = f.taskType || types[0]?.name || '';
  const urlField = f.direction === 'import' ? 'sourceUrl' : 'destinationUrl';
  const filters = types.find((t) => t.name === taskType)?.filters ?? [];
  const err = (k) => error?.forField(k);

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    const recipients = f.recipients.split(/[,\s]+/).filter(Boolean);
    const scheduling = f.mode === 'on-demand' ? { type: 'disabled' } : schedulingOf(sched);
    const rules = {};
    for (const k of ['campuses', 'terms']) if (filters.includes(k) && commaList(f[k]).length) rules[k] = commaList(f[k]);
    const body = {
      id: f.id.trim(), name: f.name.trim(), description: f.description, direction: f.direction, taskType, mode: f.mode,
      ...(f.url.trim() ? { [urlField]: f.url.trim() } : {}), recipients, sendReport: f.sendReport && recipients.length > 0, scheduling,
      active: f.mode !== 'on-demand' || f.active, ...(Object.keys(rules).length ? { rules } : {}),
      ...(scheduling.timing?.timezone ? { timezone: scheduling.timing.timezone } : {}),
    };
    try {
      const domain = f.domain.trim();
      if (!domain) throw new ApiError(400, { detail: 'Give the domain the job belongs to.', errors: [{ in: 'path', field: 'domain', message: 'Give the domain the job belongs to.' }] });
      const job = await api.post(`/domains/${encodeURIComponent(domain)}/jobs`, body);
      location.hash = `#/jobs/${encodeURIComponent(job.domain)}/${encodeURIComponent(job.id)}`;
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return html`<section class="page narrow">
    <h1>New job</h1>
    <form class="form" onSubmit=${submit} novalidate>
      <${FormErrors} error=${error} shown=${['domain', 'direction', 'taskType', 'mode', 'id', 'name', 'description', urlField, 'recipients', 'rules.campuses', 'rules.terms', ...(f.mode !== 'on-demand' ? SCHEDULE_FIELDS : [])]} />
      ${me.role === 'system_admin' ? html`<${Field} id="domain" label="Domain" error=${err('domain')}>
        <input id="domain" value=${f.domain} onInput=${(e) => set({ domain: e.target.value })} /><//>` : null}
      <div class="row">
        <${Field} id="direction" label="Task" error=${err('direction')}>
          <select id="direction" value=${f.direction} onChange=${(e) => set({ direction: e.target.value, taskType: '' })}>
            <option value="import">Import</option><option value="export">Export</option>
          </select><//>
        <${Field} id="taskType" label="Task type" error=${err('taskType')}>
          <select id="taskType" value=${taskType} onChange=${(e) => set({ taskType: e.target.value })}>
            ${types.map((t) => html`<option value=${t.name}>${t.name}</option>`)}
          </select><//>
        <${Field} id="mode" label="Mode" error=${err('mode')}>
          <select id="mode" value=${f.mode} onChange=${(e) => set({ mode: e.target.value })}>
            <option value="batch">batch</option><option value="realtime">realtime</option><option value="on-demand">on-demand</option>
          </select><//>
      </div>
      <${Field} id="jobid" label="Identifier" error=${err('id')} hint="Lower-case letters, digits, - and _; fixed once created.">
        <input id="jobid" class="mono" value=${f.id} onInput=${(e) => set({ id: e.target.value })} /><//>
      <${Field} id="title" label="Title" error=${err('name')}><input id="title" value=${f.name} onInput=${(e) => set({ name: e.target.value })} /><//>
      <${Field} id="description" label="Description" error=${err('description')} hint="Fixed once created.">
        <textarea id="description" rows="2" value=${f.description} onInput=${(e) => set({ description: e.target.value })}></textarea><//>
      <${Field} id="url" label=${f.direction === 'import' ? 'Source URL' : 'Destination URL'} error=${err(urlField)}
        hint=${f.direction === 'import' ? 'file:///… a file, or a folder whose new files are read' : 'file:, ftp:, ftps: or https: (POST); passwords go in Credentials afterwards'}>
        <input id="url" class="mono" value=${f.url} onInput=${(e) => set({ url: e.target.value })} /><//>
      <${Field} id="recipients" label="Report recipients (comma-separated emails)" error=${err('recipients')}>
        <input id="recipients" value=${f.recipients} onInput=${(e) => set({ recipients: e.target.value })} /><//>
      <label class="inline"><input type="checkbox" checked=${f.sendReport} onChange=${(e) => set({ sendReport: e.target.checked })} /> Send the report to them</label>
      ${f.mode === 'on-demand' ? html`<label class="inline"><input type="checkbox" checked=${f.active} onChange=${(e) => set({ active: e.target.checked })} /> Active (an inactive on-demand job takes no events and watches no folder)</label>` : null}
      ${filters.length ? html`<div class="row"><${FilterFields} filters=${filters} direction=${f.direction} values=${f} set=${set} err=${err} /></div>` : null}
      ${f.mode !== 'on-demand' ? html`<${ScheduleFields} form=${sched} set=${setSched} mode=${f.mode} direction=${f.direction} taskType=${taskType} error=${error} />` : null}
      <div class="form-end"><button type="submit" disabled=${busy}>Create job</button> <a href="#/">Cancel</a></div>
    </form>
  </section>`;
}
