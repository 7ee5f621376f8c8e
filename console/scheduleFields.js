import { html } from './vendor/htm-preact.mjs';

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
const MAX_BATCH_IMPORT_RUNS_PER_DAY = 4;

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

/** The schedule in words, and the four-a-day rule for batch imports (seed 000), before saving. */
export function scheduleWords(f, mode, direction) {
  if (mode === 'on-demand') return { text: 'Runs on events while active: no schedule.' };
  if (f.type === 'automatic') return { text: "Runs on the task type's own default schedule." };
  if (f.type === 'disabled') return { text: 'Runs only when someone clicks Run now.' };
  const tz = f.timezone ? ` (${f.timezone})` : '';
  let text;
  let perDay;
  if (f.kind === 'calendar') {
    const times = f.times.split(/[,\s]+/).filter(Boolean);
    const days = f.days.length === 7 ? 'every day' : f.days.length === 5 && !f.days.includes('SATURDAY') && !f.days.includes('SUNDAY') ? 'every weekday' : `on ${f.days.map((d) => d[0] + d.slice(1, 3).toLowerCase()).join(', ') || 'no day'}`;
    text = `Runs ${days} at ${times.join(', ') || '—'}${tz}.`;
    perDay = times.length;
  } else if (f.kind === 'interval') {
    const m = Number(f.everyMinutes);
    text = `Runs every ${m} minute${m === 1 ? '' : 's'}${tz}.`;
    perDay = m > 0 ? Math.floor(1440 / m) : 0;
  } else {
    text = `Runs on the cron expression "${f.expression}"${tz}.`;
  }
  const warning = mode === 'batch' && direction === 'import' && perDay > MAX_BATCH_IMPORT_RUNS_PER_DAY
    ? `A batch import runs at most ${MAX_BATCH_IMPORT_RUNS_PER_DAY} times a day; this runs it ${perDay} times. Use a realtime job for frequent imports.`
    : undefined;
  return { text, warning };
}

/** The scheduling inputs (seed 003): automatic, scheduled (days and times, interval or cron, time zone) or disabled. */
export function ScheduleFields({ form, set, mode, direction, error, disabled }) {
  const on = (patch) => set({ ...form, ...patch });
  const words = scheduleWords(form, mode, direction);
  const err = (f) => error?.forField?.(f);
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
    ${schedErr && !err('scheduling.timing.times') && !err('scheduling.timing.expression') && !err('scheduling.timing.timezone') ? html`<p class="field-error" role="alert">${schedErr}</p>` : null}
    <p class="schedule-words" aria-live="polite">${words.text}</p>
    ${words.warning ? html`<p class="warning" role="alert">${words.warning}</p>` : null}
  </fieldset>`;
}

/** A labelled input with the API's error for it right below. */
export function Field({ id, label, error, children, hint }) {
  // The input (the child with this id) names its hint and error, so a screen reader says them with it.
  // (Preact's vnodes are fresh objects each render, and the standalone build has no cloneElement.)
  const input = [children].flat().find((c) => c?.props?.id === id);
  if (input) {
    input.props['aria-describedby'] = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
    input.props['aria-invalid'] = error ? 'true' : undefined;
  }
  return html`<div class=${`field ${error ? 'has-error' : ''}`}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
    ${error ? html`<p class="field-error" id=${`${id}-error`} role="alert">${error}</p>` : null}
  </div>`;
}
