import assert from 'node:assert/strict';
import { jobScheduleId } from '../../contracts/workflowIds';
import { eventually } from '../setup/system';
import { batchJob, startApiSystem, type ApiSystem } from './helpers';

/**
 * What the console asks of the API beyond the first slice: the list filtered by its status
 * icons on the server (so the filter covers every page), and a draft schedule's preview (its
 * next runs, as Temporal will start them, and the server's own rules before saving).
 */
describe('API for the console', () => {
  let api: ApiSystem;
  let admin: string;
  const D = 'console-api';
  const J = `/domains/${D}/jobs`;
  const ids = (r: { json: { items: { id: string }[] } }) => r.json.items.map((i) => i.id);

  before(async () => {
    api = await startApiSystem();
    admin = await api.sys.token('domain_admin', D);
  });
  after(async () => api?.stop());

  it("lists the task types with the rules a form offers for each: its filters and its imports' settings", async () => {
    const r = await api.call(admin, 'GET', '/task-types');
    assert.equal(r.status, 200, r.text);
    const byName = new Map(r.json.items.map((t: { name: string }) => [t.name, t]));
    assert.deepEqual(byName.get('sectionsCsv'), {
      name: 'sectionsCsv', directions: ['import', 'export'], fields: (byName.get('sectionsCsv') as { fields: string[] }).fields,
      filters: ['campuses', 'terms'], settings: ['importCanceled', 'deleteCanceled'],
    });
    assert.deepEqual((byName.get('usersCsv') as { filters: string[]; settings: string[] }), { ...(byName.get('usersCsv') as object), filters: [], settings: [] });
  });

  describe('list filtered by status icon', () => {
    before(async () => {
      for (const id of ['icon-a', 'icon-b', 'icon-c', 'icon-d', 'icon-e']) assert.equal((await api.call(admin, 'POST', J, batchJob(id))).status, 201);
      // Only the last one by id runs: on the list's last page, never on its first. It fails (this
      // suite's worker has no file area granted), which is the icon this test filters by.
      assert.equal((await api.call(admin, 'POST', `${J}/icon-e/run`)).status, 202);
      await eventually(async () => {
        const r = await api.call(admin, 'GET', `${J}/icon-e/runs/1`);
        return r.json?.endedAt ? true : undefined;
      }, 'the run of icon-e to end');
      await api.call(admin, 'POST', `${J}/icon-d/pause`, { note: 'x' });
    });

    it('filters every page, not the page loaded: total and items count the matching jobs only', async () => {
      const done = await eventually(async () => {
        const r = await api.call(admin, 'GET', `${J}?icon=failed&limit=2`);
        return r.json.total === 1 ? r : undefined;
      }, 'icon-e listed as failed');
      assert.deepEqual(ids(done), ['icon-e']);
      const never = await api.call(admin, 'GET', `${J}?icon=none&limit=2&offset=2`);
      assert.equal(never.json.total, 4, 'a to d have never run (a paused job too)');
      assert.deepEqual(ids(never), ['icon-c', 'icon-d']);
      const both = await api.call(admin, 'GET', `${J}?icon=failed,running&status=scheduled,unscheduled,paused`);
      assert.deepEqual(ids(both), ['icon-e']);
      // Icon and status together: never run and paused.
      const pausedNever = await eventually(async () => {
        const r = await api.call(admin, 'GET', `${J}?icon=none&status=paused`);
        return r.json.total === 1 ? r : undefined;
      }, 'icon-d listed as paused');
      assert.deepEqual(ids(pausedNever), ['icon-d']);
    });

    it('refuses an unknown icon with a 400 naming the parameter and the icons', async () => {
      const r = await api.call(admin, 'GET', `${J}?icon=completed,green`);
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.errors.map((e: { field: string }) => e.field), ['icon']);
      assert.match(r.json.detail, /running, completed, warnings, failed, canceled, none/);
    });
  });

  describe('schedule preview', () => {
    const preview = (body: Record<string, unknown>) => api.call(admin, 'POST', '/schedule-preview', { mode: 'batch', direction: 'import', taskType: 'sectionsCsv', ...body });
    const calendar = { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY', 'WEDNESDAY', 'SATURDAY'], times: ['06:00', '18:30'], timezone: 'Europe/Paris' } };

    it('lists the next runs Temporal then starts, in words in the time zone, before the job is saved', async () => {
      const r = await preview({ scheduling: calendar, count: 6 });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.refusal, null);
      assert.deepEqual(r.json.problems, []);
      assert.equal(r.json.runsPerDay, 2);
      assert.equal(r.json.maxRunsPerDay, 4);
      assert.equal(r.json.nextRuns.length, 6);
      for (const run of r.json.nextRuns) assert.match(run.words, /^(Mon|Wed|Sat) \d{1,2} [A-Z][a-z]{2}, (06:00|18:30) Europe\/Paris$/, run.words);
      // Saved as it is, Temporal's schedule lists the same times.
      assert.equal((await api.call(admin, 'POST', J, batchJob('previewed', { scheduling: calendar }))).status, 201);
      const desc = await api.sys.client.schedule.getHandle(jobScheduleId(D, 'previewed')).describe();
      const temporal = desc.info.nextActionTimes.map((d) => d.toISOString());
      const again = await preview({ scheduling: calendar, count: temporal.length });
      assert.deepEqual(again.json.nextRuns.map((x: { at: string }) => x.at), temporal);
    });

    it('follows the job time zone when the timing has none, counts an interval from the epoch, and takes the automatic schedule', async () => {
      const r = await preview({ mode: 'realtime', timezone: 'America/New_York', scheduling: { type: 'scheduled', timing: { kind: 'cron', expression: '15 7 * * *' } }, count: 2 });
      assert.equal(r.json.timezone, 'America/New_York');
      assert.match(r.json.nextRuns[0].words, /, 07:15 America\/New_York$/);
      const every = await preview({ mode: 'realtime', scheduling: { type: 'scheduled', timing: { kind: 'interval', everyMinutes: 7 } }, count: 3 });
      const times = every.json.nextRuns.map((x: { at: string }) => Date.parse(x.at));
      for (const t of times) assert.equal(t % (7 * 60_000), 0);
      assert.equal(times[1] - times[0], 7 * 60_000);
      const auto = await preview({ scheduling: { type: 'automatic' } });
      assert.match(auto.json.summary, /^automatic schedule: /);
      assert.equal(auto.json.nextRuns.length, 5);
    });

    it('says the four-a-day rule in the words a save would be refused with, at the scheduling field', async () => {
      const five = { type: 'scheduled', timing: { ...calendar.timing, times: ['06:00', '09:00', '12:00', '15:00', '18:00'] } };
      const r = await preview({ scheduling: five });
      assert.equal(r.json.runsPerDay, 5);
      const saved = await api.call(admin, 'POST', J, batchJob('too-often', { scheduling: five }));
      assert.equal(saved.status, 422);
      assert.equal(r.json.refusal, saved.json.detail);
      assert.deepEqual(r.json.problems, [{ field: 'scheduling', message: saved.json.detail }]);
      assert.equal(r.json.nextRuns.length, 5, 'the runs are still listed, to see why');
      // A realtime import may run that often.
      assert.equal((await preview({ mode: 'realtime', scheduling: five })).json.refusal, null);
    });

    it('names the field of each problem in the draft, and lists no runs for it', async () => {
      const r = await preview({ scheduling: { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY'], times: ['25:00'], timezone: 'Mars/Olympus' } } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.problems.map((p: { field: string }) => p.field).sort(), ['scheduling.timing.times', 'scheduling.timing.timezone']);
      assert.deepEqual(r.json.nextRuns, []);
      const cron = await preview({ mode: 'realtime', scheduling: { type: 'scheduled', timing: { kind: 'cron', expression: '61 * * * *' } } });
      assert.equal(cron.json.problems[0].field, 'scheduling.timing.expression');
      const tz = await preview({ timezone: 'Nowhere/Else', scheduling: { type: 'automatic' } });
      assert.deepEqual(tz.json.problems.map((p: { field: string }) => p.field), ['timezone']);
    });

    it('refuses what it cannot read: 400 naming the field, 422 for an unknown task type', async () => {
      const bad = await api.call(admin, 'POST', '/schedule-preview', { mode: 'sometimes', direction: 'import', taskType: 'sectionsCsv', scheduling: { type: 'disabled' } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json.errors.map((e: { field: string }) => e.field), ['mode']);
      const unknown = await preview({ taskType: 'nope', scheduling: { type: 'disabled' } });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.json.errors[0].field, 'taskType');
      assert.equal((await api.call(undefined, 'POST', '/schedule-preview', {})).status, 401);
    });
  });
});
