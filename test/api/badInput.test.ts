import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { Connection, Client, ScheduleOverlapPolicy } from '@temporalio/client';
import { CronPattern } from 'croner';
import { startApi } from '../../api/server';
import { temporalProblem } from '../../api/http/temporalProblem';
import { CRON_MACROS } from '../../domain/cron';
import { jobScheduleId } from '../../contracts/workflowIds';
import { upsertJobSchedule } from '../../temporal/schedules';
import { freePort } from '../../infra/ports';
import { apiClient } from '../setup/apiClient';
import { apiConfig, batchJob, startApiSystem, type ApiSystem } from './helpers';

/**
 * Bad input of every kind the issue lists is answered 4xx, naming the field, and changes
 * nothing: NUL bytes, broken percent-encoding, encoded bodies, time zones, cron fields, rules,
 * bodies on routes that take none, and Temporal's own refusals and absence.
 */
describe('bad input is a 4xx naming the field, never a 500', () => {
  let api: ApiSystem;
  let admin: string;
  let sys: string;
  const D = 'bad-input';
  const J = `/domains/${D}/jobs`;
  const fields = (r: { json?: { errors?: { field: string }[] } }) => (r.json?.errors ?? []).map((e) => e.field).sort();
  const jobCount = async () => Number((await api.sys.db.query('select count(*)::int as n from jobs where domain = $1', [D])).rows[0].n);

  before(async () => {
    api = await startApiSystem();
    admin = await api.sys.token('domain_admin', D);
    sys = await api.sys.token('system_admin');
    assert.equal((await api.call(admin, 'POST', J, batchJob('base'))).status, 201);
  });
  after(async () => api?.stop());

  describe('NUL bytes', () => {
    const cases: [string, string, unknown, string][] = [
      ['GET', `${J}?q=a%00b`, undefined, 'q'],
      ['GET', `${J}?taskType=sections%00Csv`, undefined, 'taskType'],
      ['GET', `/domains/${D}/audit?action=run%00Job`, undefined, 'action'],
      ['GET', `/domains/${D}%00x/jobs`, undefined, 'domain'],
      ['GET', `${J}/base%00`, undefined, 'jobId'],
      ['POST', J, batchJob('nul-name', { name: 'a\0b' }), 'name'],
      ['POST', J, batchJob('nul-desc', { description: 'a\0b' }), 'description'],
      ['POST', J, batchJob('nul-url', { sourceUrl: 'file:///tmp/a\0.csv' }), 'sourceUrl'],
      ['POST', J, batchJob('nul-map', { rules: { mapping: { 'a\0': 'sectionId' } } }), 'rules.mapping.a\\u0000'],
      ['POST', J, batchJob('nul-tz', { timezone: 'UTC\0' }), 'timezone'],
      ['PATCH', `${J}/base`, { rules: { campuses: ['x', 'y\0'] } }, 'rules.campuses.1'],
      ['POST', `${J}/base/events`, { detail: '\0' }, 'detail'],
      ['POST', `${J}/base/pause`, { note: 'stop\0' }, 'note'],
      ['PUT', `${J}/base/secrets/password`, { value: 'pass\0word' }, 'value'],
      ['POST', '/tokens', { name: 'n\0', role: 'read_only', domain: D }, 'name'],
    ];
    it('refuses a key named __proto__ anywhere, naming it, rather than dropping it', async () => {
      const r = await api.call(admin, 'PATCH', `${J}/base`, '{"rules":{"mapping":{"__proto__":"section_id","Code":"section_id"}}}');
      assert.equal(r.status, 400, r.text);
      assert.deepEqual(fields(r), ['rules.mapping.__proto__']);
    });
    const halves: [string, string, unknown, string][] = [
      ['POST', J, batchJob('half-name', { name: 'a\ud800b' }), 'name'],
      ['PATCH', `${J}/base`, { rules: { quote: '\udc00' } }, 'rules.quote'],
      ['PATCH', `${J}/base`, { rules: { terms: ['\ud83d'] } }, 'rules.terms.0'],
    ];
    for (const [method, url, body, field] of halves) {
      it(`${method} ${url} with half a surrogate pair: 400 naming ${field}`, async () => {
        const r = await api.call(admin, method, url, body);
        assert.equal(r.status, 400, r.text);
        assert.deepEqual(fields(r), [field]);
        assert.match(r.json.detail, /surrogate/);
      });
    }
    for (const [method, url, body, field] of cases) {
      it(`${method} ${url}: 400 naming ${field}`, async () => {
        const r = await api.call(url === '/tokens' ? sys : admin, method, url, body);
        assert.equal(r.status, 400, r.text);
        assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.ok(fields(r).includes(field), `${field} not named: ${r.text}`);
        assert.match(r.json.detail, /NUL/);
      });
    }
    it('saved nothing', async () => {
      assert.equal(await jobCount(), 1);
      assert.equal((await api.call(admin, 'GET', `${J}/base`)).json.name, 'Job base');
    });
  });

  describe('encodings', () => {
    it('answers a malformed percent-encoding in the path with 400 naming the parameter', async () => {
      for (const [url, field] of [[`/domains/%E0%A4%A/jobs`, 'domain'], [`${J}/%E0%A4%A/runs`, 'jobId'], [`${J}/base/runs/%ZZ`, 'runNumber'], ['/tokens/%E0%A4%A', 'tokenId']]) {
        const r = await api.call(sys, 'GET', url!);
        assert.equal(r.status, 400, `${url}: ${r.text}`);
        assert.deepEqual(fields(r), [field], url);
        assert.match(r.json.detail, /malformed percent-encoding/);
      }
      const unknown = await api.call(sys, 'GET', '/nowhere/%E0%A4%A');
      assert.equal(unknown.status, 400, unknown.text);
    });

    it('answers Content-Encoding on a body that is not so encoded with a 4xx, and reads a real gzip body', async () => {
      const send = (encoding: string, body: Buffer | string) =>
        fetch(`${api.url}${J}/base`, { method: 'PATCH', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'content-encoding': encoding }, body });
      const plain = await send('gzip', JSON.stringify({ name: 'plain' }));
      assert.equal(plain.status, 400);
      assert.match(((await plain.json()) as { detail: string }).detail, /not valid gzip data/);
      for (const enc of ['br', 'deflate']) assert.equal((await send(enc, '{"name":"x"}')).status, 400, enc);
      const unknown = await send('x-compress-9000', '{"name":"x"}');
      assert.equal(unknown.status, 415);
      assert.match(unknown.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal((await api.call(admin, 'GET', `${J}/base`)).json.name, 'Job base', 'nothing changed');
      const gz = await send('gzip', zlib.gzipSync(JSON.stringify({ name: 'Gzipped' })));
      assert.equal(gz.status, 200);
      assert.equal((await api.call(admin, 'GET', `${J}/base`)).json.name, 'Gzipped');
    });

    it('refuses JSON nested too deep, and a body sent as another type, with a 4xx', async () => {
      const deep = await api.call(admin, 'PATCH', `${J}/base`, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      assert.equal(deep.status, 400, deep.text);
      assert.match(deep.json.detail, /nested more than/);
      const asText = await api.call(admin, 'PATCH', `${J}/base`, JSON.stringify({ name: 'x' }), { type: 'text/plain' });
      assert.equal(asText.status, 415, asText.text);
      const asText2 = await api.call(admin, 'POST', `${J}/base/run`, 'go', { type: 'text/plain' });
      assert.equal(asText2.status, 415, asText2.text);
    });

  });

  describe('time zones', () => {
    it('refuses an invalid time zone at save with 422 naming the field, saving nothing', async () => {
      const calendar = { kind: 'calendar', days: ['MONDAY'], times: ['06:00'] };
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ timezone: 'Mars/Olympus' }, 'timezone', /"Mars\/Olympus" is not a time zone/],
        [{ timezone: 'europe/paris' }, 'timezone', /use "Europe\/Paris"/],
        [{ timezone: '+01:00' }, 'timezone', /not a time zone/],
        [{ scheduling: { type: 'scheduled', timing: { ...calendar, timezone: 'Nowhere/Land' } } }, 'scheduling.timing.timezone', /"Nowhere\/Land" is not a time zone/],
      ];
      for (const [i, [extra, field, message]] of cases.entries()) {
        const r = await api.call(admin, 'POST', J, batchJob(`tz-${i}`, extra));
        assert.equal(r.status, 422, r.text);
        assert.ok(r.json.detail.startsWith(`${field}:`) || r.json.detail.includes(` ${field}:`), `${field} not named: ${r.json.detail}`);
        assert.match(r.json.detail, message);
        const patched = await api.call(admin, 'PATCH', `${J}/base`, extra);
        assert.equal(patched.status, 422, patched.text);
      }
      assert.equal(await jobCount(), 1);
      assert.equal((await api.call(admin, 'GET', `${J}/base`)).json.timezone, 'UTC');
    });

    it('refuses one in an OPML import with its line, changing nothing', async () => {
      const opml = `<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>\n<outline text="base" jobId="base" schedulingType="scheduled" timingKind="cron" expression="0 6 * * *" timezone="Atlantis/Capital"/>\n</body></opml>`;
      const r = await api.call(admin, 'POST', `/domains/${D}/schedules.opml`, opml, { type: 'text/x-opml' });
      assert.equal(r.status, 422, r.text);
      assert.match(r.json.detail, /line 2.*timezone: "Atlantis\/Capital" is not a time zone/);
    });

    it('accepts every time zone name it would accept, and Temporal takes each of them', async function () {
      this.timeout(10 * 60_000);
      // Each canonical name, as a schedule of its own in Temporal (created paused, then deleted).
      const zones = ['UTC', ...Intl.supportedValuesOf('timeZone')];
      const refused: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < zones.length) {
          const tz = zones[next++]!;
          const id = `tz-probe-${next}`;
          try {
            await api.sys.client.schedule.create({
              scheduleId: id, spec: { cronExpressions: ['0 6 * * *'], timezone: tz },
              action: { type: 'startWorkflow', workflowType: 'noSuchWorkflow', taskQueue: 'tz-probe' }, state: { paused: true },
              policies: { overlap: ScheduleOverlapPolicy.SKIP },
            });
            await api.sys.client.schedule.getHandle(id).delete();
          } catch (e) {
            refused.push(`${tz}: ${(e as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      assert.deepEqual(refused, []);
    });
  });

  describe('cron', () => {
    it('refuses a bad value in any field with 422 naming the field', async () => {
      const cases: [string, string][] = [['0 6 * * FOO', 'day-of-week'], ['0 6 99 * *', 'day-of-month'], ['0 6 * 13 *', 'month'], ['0 25 * * *', 'hour'], ['61 6 * * *', 'minute'], ['0 6 L * *', 'day-of-month'], ['0 6 * * 5#2', 'day-of-week']];
      for (const [i, [expression, field]] of cases.entries()) {
        const r = await api.call(admin, 'POST', J, batchJob(`cron-${i}`, { scheduling: { type: 'scheduled', timing: { kind: 'cron', expression } } }));
        assert.equal(r.status, 422, `${expression}: ${r.text}`);
        assert.match(r.json.detail, new RegExp(`scheduling\\.timing\\.expression: cron "${expression.replace(/[*#]/g, '\\$&')}": ${field} `), r.json.detail);
      }
      const every = await api.call(admin, 'POST', J, batchJob('cron-every', { scheduling: { type: 'scheduled', timing: { kind: 'cron', expression: '@every 5m' } } }));
      assert.equal(every.status, 422);
      assert.match(every.json.detail, /interval timing/);
      // Temporal would run this on Fridays the 13th only (it ANDs the day fields; cron ORs them).
      const both = await api.call(admin, 'POST', J, batchJob('cron-both', { scheduling: { type: 'scheduled', timing: { kind: 'cron', expression: '0 6 13 * FRI' } } }));
      assert.equal(both.status, 422);
      assert.match(both.json.detail, /scheduling\.timing\.expression: .*day-of-month and day-of-week are both set/);
      assert.equal(await jobCount(), 1);
    });

    it('accepts the macros and names, and Temporal runs them when croner says', async () => {
      const expressions = [...CRON_MACROS, '0 6 * * MON-FRI', '30 2 1 JAN,JUL *', '0 6 * * 7', '*/20 9-11 * * *'];
      for (const [i, expression] of expressions.entries()) {
        const id = `cron-ok-${i}`;
        const r = await api.call(admin, 'POST', J, batchJob(id, { mode: 'realtime', scheduling: { type: 'scheduled', timing: { kind: 'cron', expression } }, timezone: 'Europe/Paris' }));
        assert.equal(r.status, 201, `${expression}: ${r.text}`);
        const desc = await api.sys.client.schedule.getHandle(jobScheduleId(D, id)).describe();
        const temporal = desc.info.nextActionTimes.slice(0, 3).map((d) => d.toISOString());
        const croner = new CronPattern(expression, 'Europe/Paris', { mode: '5-part' });
        const { Cron } = await import('croner');
        const expected = new Cron(croner.pattern, { timezone: 'Europe/Paris', paused: true }).nextRuns(3).map((d) => d.toISOString());
        assert.deepEqual(temporal, expected, expression);
        await api.call(admin, 'DELETE', `${J}/${id}`);
      }
    });
  });

  describe('rules', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ delimiter: ';', quote: ';' }, 'rules.quote'],
      [{ delimiter: '|"', quote: '"' }, 'rules.quote'],
      [{ delimiter: '\n' }, 'rules.delimiter'],
      [{ delimiter: ',\r' }, 'rules.delimiter'],
      [{ quote: '\n' }, 'rules.quote'],
      [{ mapping: { 'Section Code': 'sectionCode', 'Room': 'salle' } }, 'rules.mapping.Room'],
    ];
    for (const [rules, field] of cases) {
      it(`refuses ${JSON.stringify(rules)} with 422 naming ${field}, at create, update and sample accept`, async () => {
        for (const [method, url, body] of [['POST', J, batchJob('rules-x', { rules })], ['PATCH', `${J}/base`, { rules }], ['POST', `${J}/base/sample/accept`, { rules }]] as const) {
          const r = await api.call(admin, method, url, body);
          assert.equal(r.status, 422, `${method} ${url}: ${r.text}`);
          assert.ok(fields(r).includes(field), `${field} not named: ${r.text}`);
        }
        assert.equal(await jobCount(), 1);
      });
    }
    it('accepts a mapping onto the task type\'s fields', async () => {
      const r = await api.call(admin, 'PATCH', `${J}/base`, { rules: { delimiter: ';', quote: "'", mapping: { Code: 'section_id' } } });
      assert.equal(r.status, 200, r.text);
    });
  });

  describe('routes that take no body, or a declared one', () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['POST', `${J}/base/run`, { bogus: 1 }],
      ['POST', `${J}/base/reactivate`, { bogus: 1 }],
      ['POST', `${J}/base/cancel`, { bogus: 1 }],
      ['POST', `${J}/base/pause`, { note: 'n', bogus: 1 }],
      ['POST', `${J}/base/events`, { detail: 'd', bogus: 1 }],
      ['POST', `${J}/run`, { jobs: ['base'], bogus: 1 }],
      ['DELETE', `${J}/base`, { bogus: 1 }],
      ['DELETE', `${J}/base/secrets/token`, { bogus: 1 }],
    ];
    for (const [method, url, body] of cases) {
      it(`${method} ${url} with an unknown field: 400 naming it, nothing done`, async () => {
        const r = await api.call(admin, method, url, body);
        assert.equal(r.status, 400, r.text);
        assert.deepEqual(fields(r), ['bogus']);
        assert.match(r.json.detail, /body bogus: unknown field/);
      });
    }
    it('did not start, pause or delete anything', async () => {
      assert.equal((await api.call(admin, 'GET', `${J}/base/runs`)).json.total, 0);
      const job = await api.call(admin, 'GET', `${J}/base`);
      assert.equal(job.status, 200);
      assert.notEqual(job.json.status, 'paused');
    });
    it('still runs with no body, or {}', async () => {
      assert.equal((await api.call(admin, 'POST', `${J}/base/cancel`)).status, 409);
      assert.equal((await api.call(admin, 'POST', `${J}/base/cancel`, {})).status, 409);
    });
    it('shows each body in the OpenAPI document, an empty one too', async () => {
      const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>>;
        components: { schemas: Record<string, { additionalProperties?: boolean; properties?: object }> };
      };
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (method === 'get') continue;
          assert.ok(op.requestBody, `${method} ${path} declares no body`);
        }
      }
      const run = doc.paths['/domains/{domain}/jobs/{jobId}/run']!.post!.requestBody!.content['application/json']!.schema;
      assert.equal(run.$ref, '#/components/schemas/EmptyBody');
      assert.equal(doc.components.schemas.EmptyBody!.additionalProperties, false);
    });
  });

  describe('Temporal errors', () => {
    it('answers 503 saying Temporal is unreachable, and saves nothing', async () => {
      // A client of a Temporal that is not there (nothing listens on the port), without the
      // client's retries so the test does not wait out its back-off.
      const port = await freePort();
      const deadClient = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${port}`, interceptors: [] }), namespace: api.sys.client.options.namespace });
      const dead = await startApi({ orm: api.sys.orm, temporal: deadClient, config: apiConfig(api.sys) }, '127.0.0.1', 0);
      try {
        const call = apiClient(dead.url);
        const created = await call(admin, 'POST', J, batchJob('no-temporal', { scheduling: { type: 'automatic' } }));
        assert.equal(created.status, 503, created.text);
        assert.match(created.json.detail, /Temporal is unreachable/);
        assert.ok(Number(created.headers.get('retry-after')) > 0);
        assert.equal((await call(admin, 'POST', `${J}/base/pause`, { note: 'x' })).status, 503);
        assert.equal(await jobCount(), 1, 'the job was not half-saved');
      } finally {
        await dead.close();
        await deadClient.connection.close();
      }
    });

    it('maps what Temporal refuses as invalid to a 422 naming the field', async () => {
      // Past our own checks (as a time zone Intl knows and Go's database does not would be).
      let err: unknown;
      try {
        await upsertJobSchedule(api.sys.client, {
          domain: D, jobId: 'tz-invalid', name: 'x', mode: 'batch', taskType: 'sections', timing: { kind: 'cron', expression: '0 6 * * *' }, timezone: 'Not/AZone', taskQueue: api.sys.taskQueue, catchupWindowMs: 600_000,
        });
      } catch (e) {
        err = e;
      }
      assert.ok(err, 'Temporal accepted an invalid time zone');
      const problem = temporalProblem(err);
      assert.equal(problem?.status, 422, String(err));
      assert.match(problem!.message, /^timezone: Temporal refused the request/);
    });
  });
});
