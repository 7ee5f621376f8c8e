import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { trustProxyValue } from '../../api/app';
import { TOKEN_PREFIX_LENGTH } from '../../api/http/auth';
import { startApi } from '../../api/server';
import { CONFIG_KEYS, loadConfig } from '../../infra/config';
import { eventually } from '../setup/system';
import { apiConfig, batchJob, startApiSystem, type ApiSystem } from './helpers';

/** What the admin API does beyond access: validation, lists, bulk runs, OPML, live logs, tokens. */
describe('API behaviour', () => {
  let api: ApiSystem;
  let admin: string;
  let sys: string;
  const J = '/domains/behaviour/jobs';

  const create = async (body: object) => {
    const r = await api.call(admin, 'POST', J, body);
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const runEnded = (job: string, n: number) =>
    eventually(async () => {
      const r = await api.call(admin, 'GET', `${J}/${job}/runs/${n}`);
      return r.status === 200 && r.json.endedAt ? r.json : undefined;
    }, `run ${n} of ${job} to end`);

  before(async () => {
    api = await startApiSystem();
    admin = await api.sys.token('domain_admin', 'behaviour');
    sys = await api.sys.token('system_admin');
    await create(batchJob('j1'));
  });
  after(async () => api?.stop());

  describe('bad input, endpoint by endpoint', () => {
    // [method, path, body, status, fields named in the problem]
    const cases: [string, string, unknown, number, string[]][] = [
      ['GET', '/domains/ACME/jobs', undefined, 400, ['domain']],
      ['GET', `${J}?limit=0&sort=colour&status=asleep&extra=1`, undefined, 400, ['limit', 'sort', 'status', 'extra']],
      ['GET', '/jobs?domain=Bad!&offset=-1', undefined, 400, ['domain', 'offset']],
      ['POST', J, { id: 'Bad Id', name: '', mode: 'sometimes', colour: 'red' }, 400, ['id', 'name', 'mode', 'taskType', 'colour']],
      ['POST', J, { ...batchJob('x'), recipients: ['not-an-email'], name: 'n'.repeat(201) }, 400, ['recipients.0', 'name']],
      ['POST', `${J}/run`, { jobs: [] }, 400, ['jobs']],
      ['POST', `${J}/run`, { jobs: ['a', 'a'], also: true }, 400, ['jobs', 'also']],
      ['GET', `${J}/j1?x=1`, undefined, 400, ['x']],
      ['PATCH', `${J}/j1`, { id: 'renamed' }, 400, ['id']],
      ['PATCH', `${J}/j1`, { description: 'new words', taskType: 'other' }, 400, ['description', 'taskType']],
      ['PATCH', `${J}/j1`, { scheduling: { type: 'weekly' } }, 400, ['scheduling.type']],
      ['DELETE', `${J}/-bad`, undefined, 400, ['jobId']],
      ['POST', `${J}/j1/run`, undefined, 200, []],
      ['POST', `${J}/j1/events`, { detail: 'd'.repeat(2001) }, 400, ['detail']],
      ['POST', `${J}/j1/pause`, { note: 'n'.repeat(501) }, 400, ['note']],
      ['POST', `${J}/j1/reactivate?now=1`, undefined, 400, ['now']],
      ['POST', `${J}/j1/cancel?force=1`, undefined, 400, ['force']],
      ['GET', `${J}/j1/runs?outcome=great&limit=1000`, undefined, 400, ['outcome', 'limit']],
      ['GET', `${J}/j1/runs/abc`, undefined, 400, ['runNumber']],
      ['GET', `${J}/j1/runs/0/logs`, undefined, 400, ['runNumber']],
      ['GET', `${J}/j1/runs/1/logs?after=-5&limit=x`, undefined, 400, ['after', 'limit']],
      ['GET', `${J}/j1/runs/x/logs/stream`, undefined, 400, ['runNumber']],
      ['GET', `${J}/j1/runs/1.5/rejected.csv`, undefined, 400, ['runNumber']],
      ['GET', '/domains/behaviour/schedules.opml?format=xml', undefined, 400, ['format']],
      ['GET', '/domains/behaviour/audit?limit=100000', undefined, 400, ['limit']],
      ['POST', '/tokens', { name: 'x', role: 'god' }, 400, ['role']],
      ['POST', '/tokens', { name: 'x', role: 'domain_admin' }, 400, ['domain']],
      ['POST', '/tokens', { name: 'x', role: 'system_admin', domain: 'behaviour' }, 400, ['domain']],
      ['GET', '/tokens?includeRevoked=maybe', undefined, 400, ['includeRevoked']],
      ['DELETE', '/tokens/not-a-uuid', undefined, 400, ['tokenId']],
      ['GET', '/audit?domain=NO', undefined, 400, ['domain']],
    ];
    for (const [method, url, body, status, fields] of cases) {
      if (status !== 400) continue;
      it(`${method} ${url} → 400 naming ${fields.join(', ')}`, async () => {
        const r = await api.call(url.startsWith('/tokens') || url.startsWith('/audit') ? sys : admin, method, url, body);
        assert.equal(r.status, 400, r.text);
        assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
        const named = new Set((r.json.errors as { field: string }[]).map((e) => e.field));
        for (const f of fields) assert.ok(named.has(f), `${f} not named in ${r.text}`);
      });
    }

    it('refuses a change of identifier or description with a message naming the field', async () => {
      const r = await api.call(admin, 'PATCH', `${J}/j1`, { description: 'new' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.errors.map((e: { field: string }) => e.field), ['description']);
      assert.match(r.json.errors[0].message, /description is fixed at creation/);
    });

    it('changes only the fields an update names', async () => {
      await create({ ...batchJob('keeps'), recipients: ['a@example.edu'], sendReport: true, timezone: 'Europe/Paris', rules: { delimiter: ';' } });
      const r = await api.call(admin, 'PATCH', `${J}/keeps`, { name: 'Renamed' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.name, 'Renamed');
      assert.deepEqual(r.json.recipients, ['a@example.edu']);
      assert.equal(r.json.sendReport, true);
      assert.equal(r.json.timezone, 'Europe/Paris');
      assert.equal(r.json.rules.delimiter, ';');
      // GET reads the definition with a plain query: it shows exactly what the update answered.
      const live = ['status', 'currentRun', 'queuedRun', 'retry', 'paused', 'halted', 'lastRuns', 'lastRunAt', 'lastOutcome', 'nextRunAt', 'refusals'];
      const definition = (j: Record<string, unknown>) => Object.fromEntries(Object.entries(j).filter(([k]) => !live.includes(k)));
      const got = await api.call(admin, 'GET', `${J}/keeps`);
      assert.deepEqual(Object.keys(got.json), Object.keys(r.json));
      assert.deepEqual(definition(got.json), definition(r.json));
    });

    it('refuses bodies that are not JSON, too large, or OPML sent as JSON', async () => {
      const notJson = await api.call(admin, 'POST', J, '{"id":', { type: 'application/json' });
      assert.equal(notJson.status, 400);
      const big = await api.call(admin, 'POST', J, { ...batchJob('big'), description: 'x'.repeat(2_000_000) });
      assert.equal(big.status, 413);
      const opmlAsJson = await api.call(admin, 'POST', '/domains/behaviour/schedules.opml', { opml: true });
      assert.equal(opmlAsJson.status, 415);
    });
  });

  describe('job list', () => {
    before(async () => {
      await create(batchJob('alpha-sections', { name: 'Alpha sections' }));
      await create(batchJob('beta', { name: 'Beta nightly', scheduling: { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY'], times: ['06:00'] } } }));
      await create(batchJob('gamma', { name: 'Gamma events', mode: 'on-demand' }));
      await create(batchJob('delta', { name: 'Delta paused' }));
      assert.equal((await api.call(admin, 'POST', `${J}/delta/pause`, { note: 'holiday' })).status, 202);
      // The list reads statuses from Temporal visibility, which trails the workflow by moments.
      await eventually(async () => ((await api.call(admin, 'GET', `${J}?status=paused`)).json.total === 1 ? true : undefined), 'delta listed as paused');
    });

    it('filters by text, mode, task type and live status; sorts; paginates with a total', async () => {
      const byText = await api.call(admin, 'GET', `${J}?q=SECTIONS`);
      assert.deepEqual(byText.json.items.map((i: { id: string }) => i.id), ['alpha-sections']);
      const byId = await api.call(admin, 'GET', `${J}?q=amm`);
      assert.deepEqual(byId.json.items.map((i: { id: string }) => i.id), ['gamma']);
      const onDemand = await api.call(admin, 'GET', `${J}?mode=on-demand&taskType=sectionsCsv`);
      assert.deepEqual(onDemand.json.items.map((i: { id: string }) => i.id), ['gamma']);
      const paused = await api.call(admin, 'GET', `${J}?status=paused`);
      assert.deepEqual(paused.json.items.map((i: { id: string }) => i.id), ['delta']);
      assert.equal(paused.json.total, 1);
      const scheduled = await api.call(admin, 'GET', `${J}?status=scheduled,paused&sort=-id`);
      assert.deepEqual(scheduled.json.items.map((i: { id: string }) => i.id), ['delta', 'beta']);
      const page = await api.call(admin, 'GET', `${J}?sort=-name&limit=2&offset=1`);
      const all = await api.call(admin, 'GET', `${J}?sort=-name&limit=200`);
      assert.equal(page.json.total, all.json.total);
      assert.deepEqual(page.json.items.map((i: { id: string }) => i.id), all.json.items.slice(1, 3).map((i: { id: string }) => i.id));
      const names = all.json.items.map((i: { name: string }) => i.name.toLowerCase());
      assert.deepEqual(names, [...names].sort().reverse());
    });

    it('shows each row like the seeds: name, task type, mode, summary, last and next run, active, status, unread logs', async () => {
      const { json } = await api.call(admin, 'GET', `${J}?q=beta`);
      const beta = json.items[0];
      assert.equal(beta.name, 'Beta nightly');
      assert.equal(beta.taskType, 'sectionsCsv');
      assert.equal(beta.mode, 'batch');
      assert.equal(beta.status, 'scheduled');
      assert.equal(beta.active, true);
      assert.equal(beta.lastRunAt, null);
      assert.equal(beta.unreadLogs, false);
      assert.match(beta.summary, /^import sectionsCsv from file:.*sections\.csv; mon at 06:00$/);
      assert.ok(beta.nextRunAt === null || !Number.isNaN(Date.parse(beta.nextRunAt)));
    });

    it("shows a scheduled job's next run time, the one its job workflow has", async () => {
      const fromWorkflow = await eventually(async () => (await api.call(admin, 'GET', `${J}/beta`)).json.nextRunAt ?? undefined, 'beta to know its next run');
      assert.ok(Date.parse(fromWorkflow) > Date.now());
      // The list reads it from the Temporal Schedules' listing (visibility), which trails by moments.
      await eventually(async () => ((await api.call(admin, 'GET', `${J}?q=beta`)).json.items[0].nextRunAt === fromWorkflow ? true : undefined), 'beta listed with its next run');
      const onDemand = (await api.call(admin, 'GET', `${J}?q=gamma`)).json.items[0];
      assert.equal(onDemand.nextRunAt, null);
      assert.equal(onDemand.phase, null);
    });

    it('lets a system administrator list any domain, or all, through /jobs', async () => {
      await api.call(sys, 'POST', '/domains/globex/jobs', batchJob('g1'));
      const globex = await api.call(sys, 'GET', '/jobs?domain=globex');
      assert.deepEqual(globex.json.items.map((i: { domain: string; id: string }) => `${i.domain}/${i.id}`), ['globex/g1']);
      const every = await api.call(sys, 'GET', '/jobs?sort=domain&limit=200');
      assert.ok(every.json.items.some((i: { domain: string }) => i.domain === 'behaviour') && every.json.items.some((i: { domain: string }) => i.domain === 'globex'));
      const own = await api.call(admin, 'GET', '/jobs?limit=200');
      assert.ok(own.json.items.every((i: { domain: string }) => i.domain === 'behaviour'));
      assert.equal((await api.call(admin, 'GET', '/jobs?domain=globex')).status, 404);
    });
  });

  describe('bulk run now', () => {
    it('answers each job: started, refused with the reason, not found', async () => {
      await create(batchJob('b1'));
      await create(batchJob('rt', { mode: 'realtime', scheduling: { type: 'automatic' } }));
      await create(batchJob('held'));
      await api.call(admin, 'POST', `${J}/held/pause`, { note: 'wait' });
      await eventually(async () => ((await api.call(admin, 'GET', `${J}/held`)).json.status === 'paused' ? true : undefined), 'held paused');
      const r = await api.call(admin, 'POST', `${J}/run`, { jobs: ['b1', 'rt', 'nope', 'held'] });
      assert.equal(r.status, 200, r.text);
      const [b1, rt, nope, held] = r.json.results;
      assert.deepEqual(b1, { job: 'b1', result: 'started' });
      assert.equal(rt.result, 'refused');
      assert.match(rt.reason, /realtime job runs only on its schedule/);
      assert.deepEqual(nope, { job: 'nope', result: 'not_found' });
      assert.equal(held.result, 'refused');
      assert.match(held.reason, /paused/);
      const run = await runEnded('b1', 1);
      assert.equal(run.trigger, 'manual');
      const audit = await api.call(admin, 'GET', '/domains/behaviour/audit?action=runJobs');
      assert.match(audit.json.items[0].detail, /b1: started; rt: refused; nope: not_found; held: refused/);
    });
  });

  describe('schedules as OPML', () => {
    const opmlJobs = ['o-disabled', 'o-calendar', 'o-cron'];
    before(async () => {
      await create(batchJob('o-disabled'));
      await create(batchJob('o-calendar', { scheduling: { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY', 'WEDNESDAY'], times: ['06:00', '18:30'] } }, timezone: 'Europe/Paris' }));
      await create(batchJob('o-cron', { scheduling: { type: 'scheduled', timing: { kind: 'cron', expression: '0 5 * * 1-5' } } }));
    });
    const keep = (doc: string) => doc.split('\n').filter((l) => !l.includes('<outline') || opmlJobs.some((j) => l.includes(`jobId="${j}"`))).join('\n');
    const withoutDate = (doc: string) => doc.replace(/<dateCreated>.*<\/dateCreated>/, '');

    it('exports, imports unchanged, imports a change, and exports the change back', async () => {
      const exported = await api.call(admin, 'GET', '/domains/behaviour/schedules.opml');
      assert.equal(exported.status, 200);
      assert.match(exported.headers.get('content-type') ?? '', /text\/x-opml/);
      const doc = keep(exported.text);
      assert.match(doc, /jobId="o-calendar"[^>]*schedulingType="scheduled" timingKind="calendar" days="MONDAY,WEDNESDAY" times="06:00,18:30" timezone="Europe\/Paris"/);

      const same = await api.call(admin, 'POST', '/domains/behaviour/schedules.opml', doc, { type: 'text/x-opml' });
      assert.equal(same.status, 200, same.text);
      assert.deepEqual(same.json, { updated: [], unchanged: opmlJobs.slice().sort((a, b) => doc.indexOf(`"${a}"`) - doc.indexOf(`"${b}"`)) });

      const changed = doc
        .replace(/(jobId="o-disabled"[^>]*)schedulingType="disabled"/, '$1schedulingType="scheduled" timingKind="interval" everyMinutes="360"')
        .replace(/(jobId="o-cron"[^>]*)active="true"/, '$1active="false"');
      const imported = await api.call(admin, 'POST', '/domains/behaviour/schedules.opml', changed, { type: 'application/xml' });
      assert.equal(imported.status, 200, imported.text);
      assert.deepEqual(imported.json.updated.sort(), ['o-cron', 'o-disabled']);
      const job = await api.call(admin, 'GET', `${J}/o-disabled`);
      assert.deepEqual(job.json.scheduling, { type: 'scheduled', timing: { kind: 'interval', everyMinutes: 360 } });
      assert.equal((await api.call(admin, 'GET', `${J}/o-cron`)).json.active, false);
      const again = keep((await api.call(admin, 'GET', '/domains/behaviour/schedules.opml')).text);
      assert.equal(withoutDate(again), withoutDate(changed));
    });

    it('refuses bad OPML with the line that is wrong, and changes nothing', async () => {
      const before = (await api.call(admin, 'GET', `${J}/o-calendar`)).json.scheduling;
      const docs: [string, number, RegExp][] = [
        ['<?xml version="1.0"?>\n<opml version="2.0">\n<body>\n<outline jobId="o-calendar" schedulingType="disabled">\n</body>\n</opml>', 5, /line 5/],
        ['<opml version="2.0"><body>\n<outline jobId="o-calendar" schedulingType="disabled"/>\n<outline jobId="ghost" schedulingType="disabled"/>\n</body></opml>', 3, /line 3: job "ghost" does not exist/],
        ['<opml version="2.0"><body>\n\n<outline jobId="o-calendar" schedulingType="scheduled" timingKind="calendar" days="FUNDAY" times="06:00"/>\n</body></opml>', 3, /line 3: job "o-calendar": timing\.days\.0/],
        ['<rss>\n</rss>', 1, /line 1: the root element is <rss>/],
      ];
      for (const [doc, line, message] of docs) {
        const r = await api.call(admin, 'POST', '/domains/behaviour/schedules.opml', doc, { type: 'text/x-opml' });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.line, line, r.text);
        assert.match(r.json.detail, message);
      }
      assert.deepEqual((await api.call(admin, 'GET', `${J}/o-calendar`)).json.scheduling, before);
    });
  });

  describe('run logs', () => {
    it('streams a running import\'s log lines as Server-Sent Events until it ends, and reading clears the unread flag', async () => {
      // A file big enough that the run is still going when the stream opens.
      const file = path.join(api.sys.areaOf('behaviour'), 'many-sections.csv');
      const header = fs.readFileSync(path.resolve('samples/sections.csv'), 'utf8').split('\n')[0];
      const rows = Array.from({ length: 60_000 }, (_, i) => `S${i},C${i % 500},01,Title ${i},Someone,2026FA,MAIN,active,MWF,09:00,09:50,R${i % 90},30,10`);
      fs.writeFileSync(file, [header, ...rows].join('\n') + '\n');
      await create({ ...batchJob('big'), sourceUrl: `file://${file}` });
      assert.equal((await api.call(admin, 'POST', `${J}/big/run`)).json.result, 'started');
      await eventually(async () => ((await api.call(admin, 'GET', `${J}/big/runs/1`)).status === 200 ? true : undefined), 'run 1 recorded');

      const res = await fetch(`${api.url}${J}/big/runs/1/logs/stream`, { headers: { authorization: `Bearer ${admin}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      const text = await res.text(); // the server ends the stream when the run has ended
      const events = text.split('\n\n').filter((b) => b.trim() && !b.startsWith(':')).map((b) => {
        const f = Object.fromEntries(b.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        return { id: f.id, event: f.event, data: JSON.parse(f.data!) };
      });
      const logs = events.filter((e) => e.event === 'log');
      const end = events[events.length - 1]!;
      assert.equal(end.event, 'end');
      assert.equal(end.data.status, 'completed');
      assert.ok(logs.length >= 2, text);
      // The stream closed right after the run's closing line: it is the last line sent, just before the end event.
      assert.equal(events[events.length - 2], logs[logs.length - 1]);
      assert.match(logs[logs.length - 1]!.data.message, /^Run completed/);
      const ids = logs.map((l) => Number(l.id));
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      const json = await api.call(admin, 'GET', `${J}/big/runs/1/logs`);
      assert.deepEqual(logs.map((l) => l.data), json.json.items);
      assert.equal(json.json.ended, true);
      // Resuming after the closing line: nothing more to send, so the stream is only its end event, and closes.
      const resumed = await fetch(`${api.url}${J}/big/runs/1/logs/stream`, { headers: { authorization: `Bearer ${admin}`, 'last-event-id': logs[logs.length - 1]!.id! } });
      assert.equal(resumed.status, 200);
      const rest = (await resumed.text()).split('\n\n').filter((b) => b.trim() && !b.startsWith(':'));
      assert.equal(rest.length, 1, rest.join('\n---\n'));
      assert.match(rest[0]!, /^event: end\ndata: \{"status":"completed"/);

      const row = async () => (await api.call(admin, 'GET', `${J}?q=big`)).json.items[0];
      assert.equal((await row()).unreadLogs, false);
      assert.equal((await row()).lastOutcome, 'completed');
      assert.equal((await row()).lastRunAt, json.json.items[json.json.items.length - 1].at, 'the end time, in ISO 8601 as everywhere');
      // A second run writes new lines: unread again until someone reads them.
      await api.call(admin, 'POST', `${J}/big/run`);
      await runEnded('big', 2);
      assert.equal((await row()).unreadLogs, true);
      assert.equal((await api.call(admin, 'GET', `${J}/big`)).json.unreadLogs, true);
      // The stream of an ended run sends every line, through the closing one, and ends.
      const second = await api.call(admin, 'GET', `${J}/big/runs/2/logs/stream`);
      assert.match(second.text, /event: end\ndata: \{"status":"completed"/);
      assert.match(second.text, /Run completed/);
      assert.equal((await row()).unreadLogs, false);
    });

    it('filters run history by outcome', async () => {
      const done = await api.call(admin, 'GET', `${J}/big/runs?outcome=completed&limit=1`);
      assert.equal(done.json.total, 2);
      assert.equal(done.json.items.length, 1);
      assert.equal(done.json.items[0].number, 2);
      const failed = await api.call(admin, 'GET', `${J}/big/runs?outcome=failed,halted`);
      assert.deepEqual(failed.json, { items: [], total: 0 });
    });
  });

  describe('tokens and failed authentication', () => {
    it('creates a token shown once, lists tokens without secrets, and revokes it', async () => {
      const made = await api.call(sys, 'POST', '/tokens', { name: 'ci reader', role: 'read_only', domain: 'behaviour' });
      assert.equal(made.status, 201, made.text);
      assert.match(made.json.token, /^jf_/);
      assert.equal((await api.call(made.json.token, 'GET', J)).status, 200);
      assert.equal((await api.call(made.json.token, 'POST', `${J}/j1/run`)).status, 403);
      const list = await api.call(sys, 'GET', '/tokens');
      assert.ok(list.json.items.some((t: { id: string }) => t.id === made.json.id));
      assert.ok(!list.text.includes(made.json.token) && !/hash/i.test(list.text));
      assert.equal((await api.call(sys, 'DELETE', `/tokens/${made.json.id}`)).status, 204);
      assert.equal((await api.call(made.json.token, 'GET', J)).status, 401);
      assert.equal((await api.call(sys, 'DELETE', `/tokens/${made.json.id}`)).status, 404);
      const audit = await api.call(sys, 'GET', '/domains/behaviour/audit?action=createToken');
      assert.ok(audit.json.items.some((e: { target: string }) => e.target === `tokens/${made.json.id}`));
      assert.ok(!(await api.call(sys, 'GET', '/audit?limit=500')).text.includes(made.json.token));
    });

    it('with TRUST_PROXY, counts failed authentications per client the proxy names; without it, ignores X-Forwarded-For', async () => {
      const start = (TRUST_PROXY?: string) => startApi(
        { orm: api.sys.orm, temporal: api.sys.client, config: { ...apiConfig(api.sys), TRUST_PROXY }, authFailureLimit: { max: 2, windowMs: 60_000 } },
        '127.0.0.1',
        0,
      );
      // Each guess a fresh random token, so only the per-address budget is at stake here.
      const guess = (url: string, client: string) =>
        fetch(`${url}${J}`, { headers: { authorization: `Bearer jf_${crypto.randomBytes(24).toString('base64url')}`, 'x-forwarded-for': client } }).then((r) => r.status);
      assert.equal(loadConfig({ TRUST_PROXY: 'loopback' }).TRUST_PROXY, 'loopback');
      assert.equal(loadConfig({}).TRUST_PROXY, undefined);
      assert.ok(CONFIG_KEYS.includes('TRUST_PROXY'));
      assert.deepEqual(['', 'false', 'true', '1', 'loopback, 10.0.0.0/8', undefined].map(trustProxyValue), [false, false, true, 1, 'loopback, 10.0.0.0/8', false]);

      const behindProxy = await start('loopback');
      try {
        assert.deepEqual([await guess(behindProxy.url, '203.0.113.1'), await guess(behindProxy.url, '203.0.113.1'), await guess(behindProxy.url, '203.0.113.1')], [401, 401, 429]);
        // Another client behind the same proxy has its own budget.
        assert.equal(await guess(behindProxy.url, '203.0.113.2'), 401);
      } finally {
        await behindProxy.close();
      }
      const direct = await start(undefined);
      try {
        assert.deepEqual([await guess(direct.url, '203.0.113.1'), await guess(direct.url, '203.0.113.1')], [401, 401]);
        // The header is not trusted: every request comes from the same socket address, whose budget is spent.
        assert.equal(await guess(direct.url, '203.0.113.2'), 429);
      } finally {
        await direct.close();
      }
    });

    it('rate-limits failed authentication per address with 429 and Retry-After, never refusing a valid token', async () => {
      const strict = await startApi(
        { orm: api.sys.orm, temporal: api.sys.client, config: apiConfig(api.sys), authFailureLimit: { max: 3, windowMs: 60_000 } },
        '127.0.0.1',
        0,
      );
      try {
        const get = (token: string) => fetch(`${strict.url}${J}`, { headers: { authorization: `Bearer ${token}` } });
        for (let i = 0; i < 3; i++) assert.equal((await get(`jf_guess${i}`)).status, 401);
        const limited = await get('jf_guess4');
        assert.equal(limited.status, 429);
        assert.ok(Number(limited.headers.get('retry-after')) > 0);
        assert.equal((await fetch(`${strict.url}${J}`)).status, 429, 'no token at all from the address is limited too');
        // Others' failures from the same address (a shared proxy) never lock out a valid token...
        assert.equal((await get(admin)).status, 200);
        // ...and a valid token does not reset the address's budget for bad ones.
        assert.equal((await get('jf_guess5')).status, 429);
        assert.equal((await fetch(`${strict.url}/health`)).status, 200);
      } finally {
        await strict.close();
      }
    });

    it('rate-limits failed authentication per token prefix, across addresses', async () => {
      const strict = await startApi(
        { orm: api.sys.orm, temporal: api.sys.client, config: { ...apiConfig(api.sys), TRUST_PROXY: 'loopback' }, authFailureLimit: { max: 3, windowMs: 60_000 } },
        '127.0.0.1',
        0,
      );
      try {
        const get = (token: string, client: string) => fetch(`${strict.url}${J}`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client } }).then((r) => r.status);
        // Guesses at one token's beginning, each from a new address (a botnet, or many clients behind proxies).
        const near = (i: number) => `${admin.slice(0, TOKEN_PREFIX_LENGTH)}${crypto.randomBytes(8).toString('base64url')}${i}`;
        const statuses = [];
        for (let i = 0; i < 5; i++) statuses.push(await get(near(i), `198.51.100.${i + 1}`));
        assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
        // Another prefix from a fresh address is only unknown; the real token still works from anywhere.
        assert.equal(await get(`jf_${crypto.randomBytes(24).toString('base64url')}`, '198.51.100.50'), 401);
        assert.equal(await get(admin, '198.51.100.51'), 200);
        assert.equal(await get(admin, '198.51.100.1'), 200);
      } finally {
        await strict.close();
      }
    });
  });
});
