import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { jobWorkflowId } from '../../contracts/workflowIds';
import { recordHistory } from '../replay/histories';
import { startSystem, type TestSystem } from '../setup/system';
import { csv, fileUrl, jobsApi, row, sleep } from './helpers';

/** PRODUCT.md, Modes: an active on-demand import runs by itself when a file lands in its watched directory. */
describe('lifecycle: on-demand directory watch', () => {
  let sys: TestSystem;
  let jobs: ReturnType<typeof jobsApi>;
  let inbox: string;
  before(async () => {
    sys = await startSystem({ retryLimit: 0 });
    jobs = jobsApi(sys, await sys.token('domain_admin', 'watch'), 'watch');
    inbox = path.join(sys.areaOf('watch'), 'inbox');
    fs.mkdirSync(inbox);
  });
  after(async () => sys?.stop());

  const drop = (name: string, ...ids: string[]) => fs.writeFileSync(path.join(inbox, name), csv(...ids.map((id) => row(id))));
  const sectionIds = async () =>
    (await sys.db.query(`select section_id from sections where domain = 'watch' order by section_id`)).rows.map((r) => r.section_id);

  it('a new file is an event: each file is imported once by a run of its own, and none runs while paused', async () => {
    await jobs.create({ id: 'inbox', mode: 'on-demand', sourceUrl: fileUrl(inbox) });
    drop('first.csv', 'D-1', 'D-2');
    const first = await jobs.waitForRuns('inbox', 1);
    assert.equal(first.lastRuns[0].trigger, 'event');
    assert.equal(first.lastRuns[0].outcome, 'completed');
    assert.deepEqual(await sectionIds(), ['D-1', 'D-2']);
    assert.ok(fs.existsSync(path.join(inbox, 'first.csv.imported')));

    drop('second.csv', 'D-3');
    const second = await jobs.waitForRuns('inbox', 2);
    assert.equal(second.lastRuns[0].trigger, 'event');
    assert.deepEqual(await sectionIds(), ['D-1', 'D-2', 'D-3']);

    // Paused: a file waits; reactivating picks it up.
    await jobs.post('inbox', 'pause', { note: 'checking the feed' });
    await jobs.waitFor('inbox', (j) => j.status === 'paused', 'paused');
    drop('third.csv', 'D-4');
    await sleep(5_000); // more than two polls of the watch
    assert.equal((await jobs.runs('inbox')).length, 2);
    await jobs.post('inbox', 'reactivate');
    const third = await jobs.waitForRuns('inbox', 3);
    assert.equal(third.lastRuns[0].trigger, 'event');
    assert.deepEqual(await sectionIds(), ['D-1', 'D-2', 'D-3', 'D-4']);
    assert.deepEqual(fs.readdirSync(inbox).sort(), ['first.csv.imported', 'second.csv.imported', 'third.csv.imported']);
    await recordHistory(sys.client, jobWorkflowId('watch', 'inbox'), 'job-on-demand-watch');
  });

  it('an inactive on-demand job does not watch', async () => {
    const dir = path.join(sys.areaOf('watch'), 'idle');
    fs.mkdirSync(dir);
    await jobs.create({ id: 'idle', mode: 'on-demand', sourceUrl: fileUrl(dir), active: false });
    fs.writeFileSync(path.join(dir, 'a.csv'), csv(row('I-1')));
    await sleep(5_000);
    assert.equal((await jobs.runs('idle')).length, 0);
    assert.ok(fs.existsSync(path.join(dir, 'a.csv')));
  });
});
