import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Context as ActivityContext } from '@temporalio/activity';
import { pino } from 'pino';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { writeSectionsFile } from '../setup/sectionsFile';
import { observeActivity } from '../../worker/observability';
import path from 'node:path';

/** What operators read: Prometheus metrics after real runs, and log lines that carry their ids. */
describe('metrics and logs', function () {
  this.timeout(3 * 60_000);
  let sys: TestSystem;
  let admin: string;
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', 'observed');
  });
  after(async () => sys?.stop());

  const metric = (text: string, name: string, labels = '') => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (labels && l.startsWith(`${name}{`) && l.includes(labels)));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  it('counts runs, rows, phase durations and schedule lag after scheduled runs', async () => {
    const file = path.join(sys.areaOf('observed'), 'observed.csv');
    await writeSectionsFile(file, 25, 'OBS-');
    const before = (await sys.call(admin, 'GET', '/metrics')).text;
    const created = await sys.call(admin, 'POST', '/domains/observed/jobs', {
      id: 'ticking', name: 'Ticking', taskType: 'sectionsCsv', mode: 'realtime', sourceUrl: `file://${file}`,
      scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 3 } },
    });
    assert.equal(created.status, 201, created.text);
    await eventually(async () => {
      const { json } = await sys.call(admin, 'GET', '/domains/observed/jobs/ticking');
      return json.lastRuns.length >= 2 ? true : undefined;
    }, 'two scheduled runs');
    await sys.call(admin, 'POST', '/domains/observed/jobs/ticking/pause', { note: 'end of test' });

    const res = await sys.call(admin, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const after = res.text;
    assert.ok(metric(after, 'jobflow_runs_total', 'outcome="completed"') >= metric(before, 'jobflow_runs_total', 'outcome="completed"') + 2);
    assert.ok(metric(after, 'jobflow_rows_total', 'kind="inserted"') >= metric(before, 'jobflow_rows_total', 'kind="inserted"') + 25);
    assert.ok(metric(after, 'jobflow_phase_duration_seconds_count', 'phase="validating",result="ok"') >= 2);
    assert.ok(metric(after, 'jobflow_schedule_lag_seconds_count') >= metric(before, 'jobflow_schedule_lag_seconds_count') + 2, 'each scheduled run records its lag');
    assert.ok(metric(after, 'jobflow_process_resident_memory_bytes') > 0);
  });

  it('writes activity log lines as JSON carrying domain, job, run and workflow ids', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const log = pino({ level: 'debug' }, sink);
    const ctx = { info: { activityType: 'validateImport', attempt: 2, taskQueue: 'q', workflowExecution: { workflowId: 'run-acme-sections-7', runId: 'r' } } } as unknown as ActivityContext;
    const failing = observeActivity(ctx, log).execute!(
      { args: [{ domain: 'acme', jobId: 'sections', runNumber: 7 }], headers: {} },
      async () => { throw Object.assign(new Error('the source does not exist'), { type: 'SourceUnavailable' }); },
    );
    await assert.rejects(failing, /does not exist/);
    await new Promise((r) => setImmediate(r));
    const line = lines.find((l) => l.msg === 'activity failed');
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.domain, 'acme');
    assert.equal(line.jobId, 'sections');
    assert.equal(line.runNumber, 7);
    assert.equal(line.workflowId, 'run-acme-sections-7');
    assert.equal(line.activity, 'validateImport');
    assert.equal(line.failureType, 'SourceUnavailable');
  });
});
