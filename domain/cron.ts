import { CronPattern } from 'croner';

/**
 * Cron expressions and time zones as a job's schedule takes them. What is accepted here is
 * what Temporal Schedules accept and read the same way (its server parses cron strings and
 * loads time zones with Go's tz database): five fields (minute hour day-of-month month
 * day-of-week) of numbers, `*`, ranges, steps, lists and three-letter month and day names, or
 * one of the macros below. croner checks each field's values. Temporal runs only on days that
 * match both day-of-month and day-of-week where classic cron (and croner) runs on either, so an
 * expression that restricts both is refused rather than read two ways. Croner's extensions that
 * Temporal reads differently or not at all (L, W, ?, nth weekday with #, which Temporal takes
 * as the start of a comment) and six- or seven-field forms are refused.
 */

export const CRON_FIELDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;
const RANGES = ['0-59', '0-23', '1-31', '1-12 or JAN-DEC', '0-7, 0 and 7 being Sunday, or SUN-SAT'];

/** The macros both croner and Temporal's server expand (to the same five fields). */
export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

/** Digits, `*`, `,`, `-`, `/`, and three-letter names (JAN, MON). */
const FIELD_SYNTAX = /^(?:[0-9*,/-]|[A-Za-z]{3})+$/;

/** A problem with one part of an expression: which field (or the whole), and why. */
export interface CronProblem {
  field: (typeof CRON_FIELDS)[number] | 'expression';
  message: string;
}

const macro = (e: string) => (CRON_MACROS as readonly string[]).includes(e.toLowerCase());

/** Problems with a cron expression, each naming its field; empty when it is valid. */
export function cronProblems(expression: string): CronProblem[] {
  const e = expression.trim();
  if (e.startsWith('@')) {
    if (macro(e)) return [];
    const hint = /^@every\b/i.test(e) ? 'use an interval timing (everyMinutes or everySeconds) instead of @every' : `the macros are ${CRON_MACROS.join(', ')}`;
    return [{ field: 'expression', message: `"${e}" is not a macro we accept: ${hint}` }];
  }
  const fields = e.split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) {
    return [{ field: 'expression', message: `a cron expression has five fields (${CRON_FIELDS.join(' ')}) or is a macro (${CRON_MACROS.join(', ')}); this one has ${fields.length}` }];
  }
  const problems: CronProblem[] = [];
  fields.forEach((value, i) => {
    const field = CRON_FIELDS[i]!;
    if (!FIELD_SYNTAX.test(value)) {
      problems.push({ field, message: `"${value}" is not a ${field} value: use numbers, *, ranges (1-5), steps (*/15), lists (1,3) or three-letter names` });
      return;
    }
    // The field alone, the others left open: croner's error then is about this field only.
    const alone = CRON_FIELDS.map((_, j) => (j === i ? value : '*')).join(' ');
    try {
      new CronPattern(alone, undefined, { mode: '5-part' });
    } catch (err) {
      // croner's "Invalid value" counts from its own offsets; the range says it plainly.
      const why = (err as Error).message.replace(/^CronPattern: /, '');
      problems.push({ field, message: `"${value}" is not a valid ${field} (${RANGES[i]})${/Invalid value|illegal characters/.test(why) ? '' : `: ${why}`}` });
    }
  });
  if (!problems.length && fields[2] !== '*' && fields[4] !== '*') {
    problems.push({ field: 'expression', message: 'day-of-month and day-of-week are both set: Temporal would run only on days matching both, where cron runs on either; set one of them to * (or use two jobs)' });
  }
  if (!problems.length) {
    try {
      new CronPattern(e, undefined, { mode: '5-part' });
    } catch (err) {
      problems.push({ field: 'expression', message: (err as Error).message.replace(/^CronPattern: /, '') });
    }
  }
  return problems;
}

/** The most runs a valid expression starts on one day: its minutes times its hours. */
export function cronRunsPerDay(expression: string): number {
  const p = new CronPattern(expression.trim(), undefined, { mode: '5-part' });
  return p.minute.filter(Boolean).length * p.hour.filter(Boolean).length;
}

/**
 * Why a time zone is refused, or undefined when it is a time zone's canonical IANA name as
 * written (Europe/Paris, UTC). Names are matched exactly, as Go's tz database does, so a name
 * in other case or an alias is refused with the name to use instead.
 */
export function timeZoneProblem(tz: string): string | undefined {
  // Newer Intl also takes offsets (+01:00), which are not zone names Go loads.
  if (!/^[A-Za-z]/.test(tz)) return `"${tz}" is not a time zone: use an IANA name such as UTC or Europe/Paris`;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return `"${tz}" is not a time zone: use an IANA name such as UTC or Europe/Paris`;
  }
  if (resolved !== tz) return `"${tz}" is written differently from the time zone's name: use "${resolved}"`;
  return undefined;
}
