import { z } from 'zod';
import { MIN_HISTORY } from '../domain/rowCountGuard';

/**
 * How a job reads its files and which rows it keeps (PRODUCT.md, Concepts: rules). Saved
 * with the job; sampling proposes encoding, delimiter and mapping.
 */
export const ENCODINGS = ['utf-8', 'latin1', 'windows-1252', 'utf-16le', 'utf-16be'] as const;

export const importRulesSchema = z
  .object({
    encoding: z.enum(ENCODINGS).default('utf-8'),
    delimiter: z.string().min(1).max(4).default(','),
    quote: z.string().length(1).default('"'),
    header: z.boolean().default(true),
    /** File header name → task-type field name, for headers that differ. */
    mapping: z.record(z.string().max(200), z.string().max(200)).default({}),
    campuses: z.array(z.string().max(200)).max(1000).optional(),
    terms: z.array(z.string().max(200)).max(1000).optional(),
    importCanceled: z.boolean().default(false),
    deleteCanceled: z.boolean().default(true),
    /** Most rejected rows a run may have before it halts; unset means no limit. */
    maxRejected: z.number().int().min(0).optional(),
    /** Flags (or halts) a run reading far fewer rows than the job's usual; unset: off (README, Row-count guard). */
    rowCountGuard: z
      .object({
        belowPercent: z.number().int().min(1).max(100)
          .describe("A run reading fewer rows than this percentage of the median of the job's last completed runs is unusual."),
        lastRuns: z.number().int().min(MIN_HISTORY).max(100).default(10)
          .describe(`How many of the last completed runs the median is taken over; the guard says nothing before the job has ${MIN_HISTORY}.`),
        action: z.enum(['warn', 'halt']).default('warn')
          .describe('warn: the run ends completed_with_warnings (unusual_row_count); halt: it halts before loading, the file kept for a rerun.'),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ImportRules = z.infer<typeof importRulesSchema>;

/** A line break or NUL as a delimiter or quote would split or end every row (and PostgreSQL stores no NUL). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_SYNTAX = /[\r\n\u0000]/;

/**
 * Problems with rules as an administrator saved them, each naming its field (rules.<field>);
 * empty when they can be used. `fields`: the task type's field names, the only mapping targets.
 */
export function rulesProblems(rules: Pick<ImportRules, 'delimiter' | 'quote' | 'mapping'>, fields: readonly string[]): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const shown = (s: string) => JSON.stringify(s);
  if (FORBIDDEN_IN_SYNTAX.test(rules.delimiter)) problems.push({ field: 'rules.delimiter', message: `${shown(rules.delimiter)} holds a line break or NUL, which cannot separate fields` });
  if (FORBIDDEN_IN_SYNTAX.test(rules.quote)) problems.push({ field: 'rules.quote', message: `${shown(rules.quote)} is a line break or NUL, which cannot quote fields` });
  if (rules.delimiter.includes(rules.quote)) problems.push({ field: 'rules.quote', message: `the quote ${shown(rules.quote)} is part of the delimiter ${shown(rules.delimiter)}: a row would be split inside its quoted values` });
  for (const [header, target] of Object.entries(rules.mapping)) {
    if (!fields.includes(target)) problems.push({ field: `rules.mapping.${header}`, message: `${shown(target)} is not a field of this task type (${fields.join(', ')})` });
  }
  return problems;
}
