import { html, useEffect, useState } from './vendor/htm-preact.mjs';
import { api } from './api.js';

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

/** The fields whose errors the scheduling inputs show (the others are shown above the form). */
export const SCHEDULE_FIELDS = ['scheduling'];

/** The editable form of a job's scheduling, flat: what the inputs hold. */
export function scheduleForm(scheduling, timezone) {
  const t = scheduling?.type === 'scheduled' ? scheduling.timing : null;
  return {
    type: scheduling?.type ?? 'disabled',
    kind: t?.kind ?? 'calendar',
    days: t?.kind === 'calendar' ? t.days : ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'],
    times: t?.kind === 'calendar' ? t.times.join(', ') : '06:00',
    everyMinutes: t?.kind === 'interval' ? String(t.everyMinutes ?? Math.round((t.everySeconds ?? 600) / 60)) : '15',
    expression: t?.kind === 'cron' ? t.expression : '0 6 * * 1-5',
    timezone: t?.timezone ?? timezone ?? 'UTC',
  };
}

/** The API's scheduling from the form. */
export function schedulingOf(f) {
  if (f.type !== 'scheduled') return { type: f.type };
  const timezone = f.timezone.trim() || undefined;
  if (f.kind === 'calendar') return { type: 'scheduled', timing: { kind: 'calendar', days: f.days, times: f.times.split(/[,\s]+/).filter(Boolean), timezone } };
  if (f.kind === 'interval') return { type: 'scheduled', timing: { kind: 'interval', everyMinutes: Number(f.everyMinutes), timezone } };
  return { type: 'scheduled', timing: { kind: 'cron', expression: f.expression.trim(), timezone } };
}

/** The schedule being edited, in words (the server's preview adds its next runs and its rules). */
export function scheduleWords(f, mode) {
  if (mode === 'on-demand') return 'Runs on events while active: no schedule.';
  if (f.type === 'automatic') return "Runs on the task type's own default schedule.";
  if (f.type === 'disabled') return 'Runs only when someone clicks Run now.';
  const tz = f.timezone ? ` (${f.timezone})` : '';
  if (f.kind === 'calendar') {
    const times = f.times.split(/[,\s]+/).filter(Boolean);
    const days = f.days.length === 7 ? 'every day' : f.days.length === 5 && !f.days.includes('SATURDAY') && !f.days.includes('SUNDAY') ? 'every weekday' : `on ${f.days.map((d) => d[0] + d.slice(1, 3).toLowerCase()).join(', ') || 'no day'}`;
    return `Runs ${days} at ${times.join(', ') || '—'}${tz}.`;
  }
  if (f.kind === 'interval') {
    const m = Number(f.everyMinutes);
    return `Runs every ${m} minute${m === 1 ? '' : 's'}${tz}.`;
  }
  return `Runs on the cron expression "${f.expression}"${tz}.`;
}

/**
 * The server's preview of the schedule being edited (POST /schedule-preview): its next runs in
 * words and whether saving it would be refused, by the server's own rules (the four-a-day
 * rule among them). Asked once the edits settle; an older answer never replaces a newer one.
 */
export function useSchedulePreview(form, mode, direction, taskType) {
  const [preview, setPreview] = useState(null);
  const body = taskType ? JSON.stringify({ mode, direction, taskType, timezone: form.timezone.trim() || 'UTC', scheduling: mode === 'on-demand' ? { type: 'disabled' } : schedulingOf(form) }) : null;
  useEffect(() => {
    if (!body) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.post('/schedule-preview', JSON.parse(body), { signal: controller.signal }).then(setPreview, (e) => {
        // A draft the API cannot even read (a time zone too long, a number out of range): said as its problem.
        if (e.name !== 'AbortError') setPreview({ problems: e.errors?.map((x) => ({ field: x.field, message: x.message })) ?? [], refusal: e.message, nextRuns: [] });
      });
    }, 200);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [body]);
  return preview;
}

/** The scheduling inputs (seed 003): automatic, scheduled (days and times, interval or cron, time zone) or disabled. */
export function ScheduleFields({ form, set, mode, direction, taskType, error, disabled }) {
  const on = (patch) => set({ ...form, ...patch });
  const preview = useSchedulePreview(form, mode, direction, taskType);
  // The API's refusal of a save first; else what the preview says of the draft, at the same field.
  const drafted = (f) => preview?.problems?.find((p) => p.field === f)?.message;
  const err = (f) => error?.forField?.(f) ?? drafted(f);
  const schedErr = err('scheduling');
  return html`<fieldset class="schedule" disabled=${disabled}>
    <legend>Scheduling</legend>
    <div class="radios" role="radiogroup" aria-label="Scheduling type">
      ${[['automatic', 'Automatic'], ['scheduled', 'Scheduled'], ['disabled', 'Disabled (run by hand)']].map(([v, l]) => html`
        <label class="inline"><input type="radio" name="schedtype" value=${v} checked=${form.type === v} onChange=${() => on({ type: v })} /> ${l}</label>`)}
    </div>
    ${form.type === 'scheduled' ? html`
      <div class="radios" role="radiogroup" aria-label="Timing">
        ${[['calendar', 'Days and times'], ['interval', 'Interval'], ['cron', 'Cron']].map(([v, l]) => html`
          <label class="inline"><input type="radio" name="timingkind" value=${v} checked=${form.kind === v} onChange=${() => on({ kind: v })} /> ${l}</label>`)}
      </div>
      ${form.kind === 'calendar' ? html`
        <div class="days" role="group" aria-label="Days of the week">
          ${WEEKDAYS.map((d) => html`<label class="inline"><input type="checkbox" checked=${form.days.includes(d)}
            onChange=${(e) => on({ days: e.target.checked ? WEEKDAYS.filter((x) => x === d || form.days.includes(x)) : form.days.filter((x) => x !== d) })} /> ${d.slice(0, 3).toLowerCase()}</label>`)}
        </div>
        <${Field} id="times" label="Times (HH:MM, comma-separated)" error=${err('scheduling.timing.times') ?? err('scheduling.timing.days')}>
          <input id="times" value=${form.times} onInput=${(e) => on({ times: e.target.value })} /><//>` : null}
      ${form.kind === 'interval' ? html`<${Field} id="every" label="Every (minutes)" error=${err('scheduling.timing.everyMinutes') ?? err('scheduling.timing')}>
          <input id="every" type="number" min="1" value=${form.everyMinutes} onInput=${(e) => on({ everyMinutes: e.target.value })} /><//>` : null}
      ${form.kind === 'cron' ? html`<${Field} id="cron" label="Cron expression (5 fields)" error=${err('scheduling.timing.expression')}>
          <input id="cron" class="mono" value=${form.expression} onInput=${(e) => on({ expression: e.target.value })} /><//>` : null}
      <${Field} id="tz" label="Time zone (IANA, e.g. Europe/Paris)" error=${err('scheduling.timing.timezone') ?? err('timezone')}>
        <input id="tz" value=${form.timezone} onInput=${(e) => on({ timezone: e.target.value })} /><//>` : null}
    <p class="schedule-words" aria-live="polite">${scheduleWords(form, mode)}</p>
    ${schedErr && !err('scheduling.timing.times') && !err('scheduling.timing.expression') && !err('scheduling.timing.timezone') && !err('scheduling.timing')
      ? html`<p class="warning" role="alert">${schedErr}</p>` : null}
    <${NextRuns} preview=${preview} />
  </fieldset>`;
}

/** The next runs in words and the runs-a-day rule, as the server's preview says them. */
function NextRuns({ preview }) {
  if (!preview) return null;
  const rule = preview.maxRunsPerDay !== null && preview.maxRunsPerDay !== undefined && preview.runsPerDay !== null && preview.runsPerDay !== undefined
    ? html`<p class=${`rule ${preview.runsPerDay > preview.maxRunsPerDay ? 'bad' : ''}`}>Up to ${preview.runsPerDay} run${preview.runsPerDay === 1 ? '' : 's'} a day; a batch import may run at most ${preview.maxRunsPerDay} times a day.</p>`
    : null;
  return html`<div class="next-runs">
    ${rule}
    ${preview.nextRuns?.length ? html`<p class="label" id="next-runs-label">Next runs</p>
      <ul aria-labelledby="next-runs-label">${preview.nextRuns.map((r) => html`<li key=${r.at}><time datetime=${r.at}>${r.words}</time></li>`)}</ul>` : null}
  </div>`;
}

/** A labelled input with the API's error for it right below. */
export function Field({ id, label, error, children, hint, narrow }) {
  // The input (the child with this id) names its hint and error, so a screen reader says them with it.
  // (Preact's vnodes are fresh objects each render, and the standalone build has no cloneElement.)
  const input = [children].flat().find((c) => c?.props?.id === id);
  if (input) {
    input.props['aria-describedby'] = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
    input.props['aria-invalid'] = error ? 'true' : undefined;
  }
  return html`<div class=${`field ${narrow ? 'narrow' : ''} ${error ? 'has-error' : ''}`}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
    ${error ? html`<p class="field-error" id=${`${id}-error`} role="alert">${error}</p>` : null}
  </div>`;
}
