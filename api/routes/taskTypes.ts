import { z } from 'zod';
import { getTaskType, taskTypeNames } from '../../taskTypes/registry';
import type { ApiKit } from '../http/routeKit';

/** The task types a job can have: what a form offers (the console's new job and mapping). */
export function taskTypeRoutes(kit: ApiKit): void {
  kit.route(
    { method: 'get', path: '/task-types', operationId: 'listTaskTypes', tag: 'Jobs', access: 'any', summary: 'The task types, their directions and fields',
      responses: { 200: { description: 'Task types.', schema: z.object({ items: z.array(z.object({ name: z.string(), directions: z.array(z.string()), fields: z.array(z.string()).describe('Fields a mapping may target.'),
        filters: z.array(z.enum(['campuses', 'terms'])).describe("The filter rules the type's jobs apply (imports skip, exports leave out the other rows)."),
        settings: z.array(z.string()).describe("Further rules its imports' processing reads (importCanceled, deleteCanceled for sections)."),
      })) }) } } },
    (_in, _req, res) => {
      res.json({
        items: taskTypeNames().map((name) => {
          const t = getTaskType(name);
          return {
            name, directions: [...t.directions], fields: t.fields.map((f) => f.name),
            filters: Object.keys(t.filters ?? {}),
            settings: [...new Set((t.processSql ?? []).flatMap((r) => r.settings ?? []))],
          };
        }),
      });
    },
  );
}
