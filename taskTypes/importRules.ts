import { z } from 'zod';

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
  })
  .strict();

export type ImportRules = z.infer<typeof importRulesSchema>;
