import type { MikroORM } from '@mikro-orm/postgresql';
import type { Response } from 'express';
import { RunLogSchema, RunSchema, type Job, type RejectedRow, type Run, type RunLog } from '../../db/entities';
import { writeCsv } from '../../io/csvWriter';
import { logLine, logsQuery, runListQuery, runView as runViewSchema } from '../http/routeSchemas';
import type { JobQueries } from '../queries/jobQueries';
import type { JobService } from '../commands/jobService';
import { notFound } from '../http/problem';
import type { ApiKit } from '../http/routeKit';
import { jobParams, runParams } from '../http/schemas';
import { runView } from '../queries/views';
import { z } from 'zod';

/** Rows of rejected.csv one cursor fetch brings: what a download holds in memory. */
const REJECTED_PAGE = 1_000;

const logJson = (l: RunLog) => ({ id: String(l.id), at: l.at, level: l.level, message: l.message });

/** How often the live log stream looks for new lines, and how many it sends at once. */
const STREAM_POLL_MS = 250;
const STREAM_BATCH = 500;

/** Run history, read from the run-history table (no Temporal round trip per run). */
export function runRoutes(kit: ApiKit, orm: MikroORM, service: JobService, queries: JobQueries): void {
  const tag = 'Runs';

  const findRun = async (p: { domain: string; jobId: string; runNumber: number }) => {
    const job = await service.find(p.domain, p.jobId);
    const run = await orm.em.fork().findOne(RunSchema, { jobId: job.id, number: p.runNumber });
    if (!run) throw notFound(`Run ${p.runNumber}`);
    return { job, run };
  };

  kit.route(
    { method: 'get', path: '/domains/:domain/jobs/:jobId/runs', operationId: 'listRuns', tag, access: 'read', summary: "A job's run history, newest first",
      description: 'outcome filters by final status (comma-separated; running = not ended yet).',
      params: jobParams, query: runListQuery, responses: { 200: { description: 'A page of runs.', schema: z.object({ items: z.array(runViewSchema), total: z.number().int() }) } } },
    async ({ params, query }, _req, res) => {
      const job = await service.find(params.domain, params.jobId);
      const where: Record<string, unknown> = { jobId: job.id };
      if (query.outcome) {
        const wanted = query.outcome.split(',');
        const ended = wanted.filter((o) => o !== 'running');
        const or: Record<string, unknown>[] = [];
        if (ended.length) or.push({ status: { $in: ended }, endedAt: { $ne: null } });
        if (wanted.includes('running')) or.push({ endedAt: null });
        where.$or = or;
      }
      const [runs, total] = await orm.em.fork().findAndCount(RunSchema, where, { orderBy: { number: 'desc' }, limit: query.limit, offset: query.offset });
      res.json({ items: runs.map((r) => runView(r, job.direction)), total });
    },
  );

  kit.route(
    { method: 'get', path: '/domains/:domain/jobs/:jobId/runs/:runNumber', operationId: 'getRun', tag, access: 'read', summary: 'A run with its counters and failure reason',
      params: runParams, responses: { 200: { description: 'The run.', schema: runViewSchema } } },
    async ({ params }, _req, res) => {
      const { job, run } = await findRun(params);
      res.json(runView(run, job.direction));
    },
  );

  kit.route(
    { method: 'get', path: '/domains/:domain/jobs/:jobId/runs/:runNumber/logs', operationId: 'getRunLogs', tag, access: 'read', summary: "A run's log lines",
      description: "Reading them clears the job's unread-logs flag up to the last line returned.",
      params: runParams, query: logsQuery,
      responses: { 200: { description: 'Log lines, oldest first.', schema: z.object({ items: z.array(logLine), ended: z.boolean() }) } } },
    async ({ params, query }, _req, res) => {
      const { job, run } = await findRun(params);
      const where = query.after !== undefined ? { runId: run.id, id: { $gt: String(query.after) } } : { runId: run.id };
      const logs = await orm.em.fork().find(RunLogSchema, where, { orderBy: { id: 'asc' }, limit: query.limit });
      if (logs.length) await queries.markLogsRead(job.id, logs[logs.length - 1]!.id);
      res.json({ items: logs.map(logJson), ended: !!run.endedAt });
    },
  );

  kit.route(
    { method: 'get', path: '/domains/:domain/jobs/:jobId/runs/:runNumber/logs/stream', operationId: 'streamRunLogs', tag, access: 'read', summary: "A run's log lines, live (Server-Sent Events)",
      description: 'Each line is a `log` event whose id is the log id (Last-Event-ID resumes); an `end` event with the run\'s status closes the stream once the run has ended and every line was sent.',
      params: runParams, responses: { 200: { description: 'An event stream.', type: 'text/event-stream' } } },
    async ({ params }, req, res) => {
      const { job, run } = await findRun(params);
      const lastEventId = /^\d+$/.test(req.get('last-event-id') ?? '') ? req.get('last-event-id')! : '0';
      await streamLogs(orm, queries, job, run, lastEventId, req.socket, res);
    },
  );

  kit.route(
    { method: 'get', path: '/domains/:domain/jobs/:jobId/runs/:runNumber/rejected.csv', operationId: 'getRejectedRows', tag, access: 'read', summary: 'The rejected rows of a run, as CSV, with a reason each',
      params: runParams, responses: { 200: { description: 'line,column,reason,raw', type: 'text/csv' } } },
    async ({ params }, _req, res) => {
      const { job, run } = await findRun(params);
      res.type('text/csv').attachment(`${job.identifier}-run-${run.number}-rejected.csv`);
      await streamRejectedRows(orm, run.id, res);
    },
  );
}

/**
 * Streams a run's rejected rows through the CSV writer (formulas neutralised), from a
 * cursor in a read-only transaction: a page at a time, at the pace the client reads.
 */
async function streamRejectedRows(orm: MikroORM, runId: string, res: Response): Promise<void> {
  const knex = orm.em.getConnection().getKnex();
  try {
    await knex.transaction(async (trx) => {
      await trx.raw('set transaction read only');
      await trx.raw('declare rejected no scroll cursor for select line, column_name, reason, raw from rejected_rows where run_id = ? order by line, id', [runId]);
      async function* pages() {
        for (;;) {
          const { rows } = (await trx.raw(`fetch forward ${REJECTED_PAGE} from rejected`)) as { rows: (Pick<RejectedRow, 'line' | 'reason' | 'raw'> & { column_name: string | null })[] };
          yield rows.map((r) => [r.line, r.column_name, r.reason, r.raw]);
          if (rows.length < REJECTED_PAGE) return;
        }
      }
      await writeCsv(res, ['line', 'column', 'reason', 'raw'], pages());
    });
  } catch (e) {
    // Once the file has begun, a failure can only cut it short (no problem document can follow).
    if (!res.headersSent) throw e;
    res.destroy(e as Error);
    return;
  }
  res.end();
}

/**
 * Sends the run's log lines as they are written, by polling run_logs by id. The run's end is
 * read before each poll, and recordRunEnd writes the end time and the closing line in one
 * transaction, so the first poll after the end is seen returns every remaining line, through
 * the closing one: the stream ends right after it.
 */
async function streamLogs(orm: MikroORM, queries: JobQueries, job: Job, run: Run, after: string, socket: NodeJS.EventEmitter, res: Response): Promise<void> {
  res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  let closed = false;
  const onClose = () => (closed = true);
  socket.once('close', onClose);
  let last = after;
  let idle = 0;
  try {
    while (!closed) {
      const em = orm.em.fork();
      const current = await em.findOne(RunSchema, { id: run.id });
      const ended = !current || !!current.endedAt;
      const logs = await em.find(RunLogSchema, { runId: run.id, id: { $gt: last } }, { orderBy: { id: 'asc' }, limit: STREAM_BATCH });
      for (const l of logs) res.write(`id: ${l.id}\nevent: log\ndata: ${JSON.stringify(logJson(l))}\n\n`);
      if (logs.length) {
        last = String(logs[logs.length - 1]!.id);
        await queries.markLogsRead(job.id, last);
      }
      if (ended && logs.length < STREAM_BATCH) {
        res.write(`event: end\ndata: ${JSON.stringify({ status: current?.status ?? 'unknown', endedAt: current?.endedAt ?? null })}\n\n`);
        break;
      }
      if (!logs.length) {
        // A comment now and then keeps proxies from closing an idle stream.
        if (++idle % 60 === 0) res.write(': waiting\n\n');
        await new Promise((r) => setTimeout(r, STREAM_POLL_MS));
      }
    }
  } finally {
    socket.off('close', onClose);
    res.end();
  }
}
