import path from 'node:path';
import { heartbeat, sleep } from '@temporalio/activity';
import { JobSchema } from '../db/entities';
import { jobWorkflowId } from '../contracts/workflowIds';
import { eventSignal } from '../contracts/messages';
import type { ActivityDeps } from './deps';
import { fileAreaOf } from '../io/safeFiles';
import { listSourceFiles } from '../io/import/fileSource';

/** How often a watched directory is listed: cheap, and it works on network file systems where fs.watch does not. */
export const WATCH_POLL_MS = 2_000;

/**
 * On-demand imports whose source is a directory (PRODUCT.md, Modes): a new file there is an
 * event. The job workflow runs this activity while the job is active; it heartbeats every
 * poll and ends when canceled or when the job no longer has a directory to watch.
 */
export function sourceWatchActivities({ orm, temporal, config }: ActivityDeps) {
  return {
    async watchSource(input: { domain: string; jobId: string }): Promise<{ watched: boolean }> {
      // Files already announced by this attempt; a new attempt (or a reactivated job) announces what is waiting again.
      const announced = new Set<string>();
      const job = temporal.workflow.getHandle(jobWorkflowId(input.domain, input.jobId));
      for (;;) {
        const record = await orm.em.fork().findOne(JobSchema, { domain: input.domain, identifier: input.jobId });
        if (!record || record.mode !== 'on-demand' || record.direction !== 'import' || !record.sourceUrl?.startsWith('file:')) return { watched: announced.size > 0 };
        // Only the domain's own area is listed: a folder elsewhere is never watched (the run says why).
        const listed = await listSourceFiles(record.sourceUrl, fileAreaOf(input.domain, config.fileRoots, config.fileAreas))
          .then((l) => ({ directory: l.directory, files: l.files.map((f) => f.path) }), () => undefined);
        if (listed && !listed.directory) return { watched: announced.size > 0 };
        const fresh = (listed?.files ?? []).filter((f) => !announced.has(f));
        if (fresh.length) {
          await job.signal(eventSignal, { source: 'file', detail: fresh.map((f) => path.basename(f)).join(', ') });
          for (const f of fresh) announced.add(f);
        }
        // Forget files that were imported (renamed), so a new file of the same name counts again.
        for (const f of announced) if (!listed?.files.includes(f)) announced.delete(f);
        heartbeat({ announced: announced.size });
        await sleep(WATCH_POLL_MS); // throws when the workflow cancels the watch
      }
    },
  };
}
