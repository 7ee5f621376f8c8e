import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { apiClient, type ApiCall } from '../setup/apiClient';
import { eventually } from '../setup/system';
import { startApiSystem, type ApiSystem } from './helpers';

/** Sampling through the API (issue 6 §4): propose, preview, status, accept, then a run that imports. */
describe('API sampling', () => {
  let api: ApiSystem;
  let admin: string;
  let reader: string;
  let otherAdmin: string;
  const domain = 'sampling-api';
  const J = `/domains/${domain}/jobs`;

  // Renamed headers, semicolons: what a registrar's spreadsheet export looks like.
  const renamed = [
    'Section ID;Course;Number;Course Title;Teacher;Semester;Site;State;Days;Start;End;Room Code;Seats;Enrollment',
    'SMP-01;BIO101;01;Biology;Ada;2026FA;MAIN;active;MWF;09:00;09:50;SCI-1;30;12',
    'SMP-02;CHE201;02;Chemistry;Grace;2026FA;NORTH;active;TR;10:30;11:45;LAB-2;24;20',
    'SMP-03;MAT110;01;Algebra;Emmy;2026FA;MAIN;active;;;;;40;33',
  ].join('\n') + '\n';

  const sample = (job: string, body: string | Buffer | object, token = admin, type = 'text/csv', call: ApiCall = api.call) =>
    call(token, 'POST', `${J}/${job}/sample`, body as string, typeof body === 'object' && !Buffer.isBuffer(body) ? undefined : { type });
  const status = async (job: string) => (await api.call(admin, 'GET', `${J}/${job}`)).json.status as string;

  let sourceFile: string;
  before(async () => {
    api = await startApiSystem();
    admin = await api.sys.token('domain_admin', domain);
    reader = await api.sys.token('read_only', domain);
    otherAdmin = await api.sys.token('domain_admin', 'sampling-other');
    sourceFile = path.join(api.sys.areaOf(domain), 'registrar.csv');
    fs.writeFileSync(sourceFile, renamed);
    const r = await api.call(admin, 'POST', J, { id: 's1', name: 'Registrar sections', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${sourceFile}` });
    assert.equal(r.status, 201, r.text);
  });
  after(async () => api?.stop());

  it('proposes delimiter, encoding and mapping for renamed headers and semicolons, with a preview', async () => {
    const r = await sample('s1', renamed);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'ready');
    assert.deepEqual(r.json.problems, []);
    assert.equal(r.json.proposedRules.delimiter, ';');
    assert.equal(r.json.proposedRules.encoding, 'utf-8');
    assert.equal(r.json.proposedRules.mapping['Section ID'], 'section_id');
    assert.equal(r.json.proposedRules.mapping['Course'], 'course_code');
    assert.equal(r.json.proposedRules.mapping['Seats'], 'capacity');
    assert.equal(r.json.preview.length, 3);
    assert.equal(r.json.preview[0].line, 2);
    assert.equal(r.json.preview[0].values.section_id, 'SMP-01');
    assert.equal(r.json.preview[1].values.capacity, 24);
    assert.equal(await status('s1'), 'unscheduled', 'ready: set up, no schedule');
  });

  it('detects a Latin-1 sample from its bytes (application/octet-stream)', async () => {
    const bytes = Buffer.from(renamed.replace('Biology', 'Biología'), 'latin1');
    // The bytes as they are (the suite's client sends strings as UTF-8).
    const res = await fetch(`${api.url}${J}/s1/sample`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' }, body: bytes });
    assert.equal(res.status, 200);
    const json = (await res.json()) as { proposedRules: { encoding: string }; preview: { values: { title: string } }[] };
    assert.equal(json.proposedRules.encoding, 'latin1');
    assert.equal(json.preview[0]!.values.title, 'Biología');
  });

  it('a sample that cannot be mapped: 200 with problems and the job sampling_failed; a good one makes it ready', async () => {
    const bad = await sample('s1', 'foo;bar;baz\n1;2;3\n');
    assert.equal(bad.status, 200, bad.text);
    assert.equal(bad.json.status, 'sampling_failed');
    assert.ok(bad.json.problems.some((p: string) => /section_id, which is required/.test(p)), bad.text);
    assert.equal(await status('s1'), 'sampling_failed');
    // The job list shows it too (from Temporal visibility, which trails by moments).
    await eventually(async () => ((await api.call(admin, 'GET', `${J}?status=sampling_failed`)).json.items.some((j: { id: string }) => j.id === 's1') ? true : undefined), 's1 listed as sampling_failed');
    const run = await api.call(admin, 'POST', `${J}/s1/run`);
    assert.equal(run.status, 409, 'a job whose sample failed does not run');

    // The problems are kept with the job: the detail and GET .../sample show them, from another API process too.
    assert.deepEqual((await api.call(admin, 'GET', `${J}/s1`)).json.samplingProblems, bad.json.problems);
    assert.deepEqual((await api.call(reader, 'GET', `${J}/s1/sample`)).json, { status: 'sampling_failed', problems: bad.json.problems });
    await api.sys.restartApi();
    const sysCall = apiClient(api.sys.api);
    assert.deepEqual((await sysCall(admin, 'GET', `${J}/s1`)).json.samplingProblems, bad.json.problems);
    assert.deepEqual((await sysCall(admin, 'GET', `${J}/s1/sample`)).json, { status: 'sampling_failed', problems: bad.json.problems });

    const good = await sample('s1', renamed);
    assert.equal(good.json.status, 'ready');
    assert.equal(await status('s1'), 'unscheduled', 'ready: set up, no schedule');
    assert.deepEqual((await api.call(admin, 'GET', `${J}/s1`)).json.samplingProblems, [], 'a sample that passes clears them');
    assert.deepEqual((await api.call(admin, 'GET', `${J}/s1/sample`)).json, { status: 'ready', problems: [] });
  });

  it('accepting rules clears the problems of a failed sample', async () => {
    assert.equal((await sample('s1', 'foo;bar\n1;2\n')).json.status, 'sampling_failed');
    assert.ok((await api.call(admin, 'GET', `${J}/s1/sample`)).json.problems.length > 0);
    const proposal = (await sample('s1', renamed)).json.proposedRules;
    assert.equal((await sample('s1', '')).json.status, 'sampling_failed');
    assert.equal((await api.call(admin, 'POST', `${J}/s1/sample/accept`, { rules: proposal })).status, 200);
    assert.deepEqual((await api.call(admin, 'GET', `${J}/s1/sample`)).json, { status: 'ready', problems: [] });
    assert.deepEqual((await api.call(admin, 'GET', `${J}/s1`)).json.samplingProblems, []);
  });

  it('accepting the proposal makes the next run import the file correctly', async () => {
    const proposal = (await sample('s1', renamed)).json.proposedRules;
    const acc = await api.call(admin, 'POST', `${J}/s1/sample/accept`, { rules: proposal });
    assert.equal(acc.status, 200, acc.text);
    assert.equal(acc.json.status, 'ready');
    const job = await api.call(admin, 'GET', `${J}/s1`);
    assert.equal(job.json.rules.delimiter, ';');
    assert.equal(job.json.rules.mapping['Section ID'], 'section_id');

    assert.equal((await api.call(admin, 'POST', `${J}/s1/run`)).status, 202);
    const ended = await eventually(async () => {
      const r = await api.call(admin, 'GET', `${J}/s1/runs/1`);
      return r.status === 200 && r.json.endedAt ? r.json : undefined;
    }, 'run 1 of s1 to end', 90_000);
    assert.match(ended.status, /^completed/, JSON.stringify(ended));
    assert.equal(ended.counters.inserted, 3);
    const rows = (await api.sys.db.query('select section_id, course_code, capacity from sections where domain = $1 order by 1', [domain])).rows;
    assert.deepEqual(rows, [
      { section_id: 'SMP-01', course_code: 'BIO101', capacity: 30 },
      { section_id: 'SMP-02', course_code: 'CHE201', capacity: 24 },
      { section_id: 'SMP-03', course_code: 'MAT110', capacity: 40 },
    ]);
  });

  it('accepts changed rules, and refuses bad ones naming the field', async () => {
    const changed = await api.call(admin, 'POST', `${J}/s1/sample/accept`, { rules: { delimiter: ';', mapping: { 'Section ID': 'section_id', Course: 'course_code' } } });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.json.rules.mapping, { 'Section ID': 'section_id', Course: 'course_code' });
    const bad = await api.call(admin, 'POST', `${J}/s1/sample/accept`, { rules: { encoding: 'ebcdic' }, extra: 1 });
    assert.equal(bad.status, 400);
    const fields = bad.json.errors.map((e: { field: string }) => e.field);
    assert.ok(fields.includes('rules.encoding') && fields.includes('extra'), bad.text);
  });

  it('samples a file without a header line as the import reads it: the fields in order, the chosen quote and delimiter, its own line numbers', async () => {
    // A registrar export with no header, split by ~ and quoted with ': line 2 has a column too few.
    const headerless = [
      "NH-01~BIO101~01~'Biology~Lab'~Ada~2026FA~MAIN~active~MWF~09:00~09:50~SCI-1~30~12",
      'NH-02~CHE201~02~Chemistry~Grace~2026FA~NORTH~active~TR~10:30~11:45~LAB-2~24',
      'NH-03~MAT110~01~Algebra~Emmy~2026FA~MAIN~active~~~~~40~33',
    ].join('\n') + '\n';
    const r = await api.call(admin, 'POST', `${J}/s1/sample?delimiter=~&quote='&header=false`, headerless, { type: 'text/csv' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.headers, []);
    assert.deepEqual(r.json.proposedRules.mapping, {});
    assert.equal(r.json.proposedRules.header, false);
    assert.deepEqual(r.json.preview.map((p: { line: number }) => p.line), [1, 2, 3]);
    assert.equal(r.json.preview[0].values.title, 'Biology~Lab');
    assert.equal(r.json.preview[2].values.capacity, 40);
    assert.match(r.json.preview[1].rejected.reason, /expected 14 columns \(section_id, .*enrolled\), found 13/);
    assert.deepEqual(r.json.problems, [`Line 2 would be rejected: ${r.json.preview[1].rejected.reason}.`]);
    // A quote that is part of the delimiter cannot work: 422 at the quote.
    const clash = await api.call(admin, 'POST', `${J}/s1/sample?delimiter=~&quote=~&header=false`, headerless, { type: 'text/csv' });
    assert.equal(clash.status, 422, clash.text);
    assert.deepEqual(clash.json.errors.map((e: { field: string }) => e.field), ['quote']);
  });

  it("samples the job's own file: source with {fromSource: true}", async () => {
    // Both APIs know the allowed file roots: an API cannot be built without them.
    const sysCall = apiClient(api.sys.api);
    for (const call of [sysCall, undefined]) {
      const r = await sample('s1', { fromSource: true }, admin, undefined, call);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.proposedRules.delimiter, ';');
      assert.equal(r.json.preview.length, 3);
    }
    // A source outside the domain's area cannot be saved; one saved before areas existed is refused naming the field.
    const outsideJob = { id: 's-outside', name: 'Outside the roots', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: 'file:///etc/hosts' };
    assert.equal((await api.call(admin, 'POST', J, outsideJob)).status, 422);
    assert.equal((await api.call(admin, 'POST', J, { ...outsideJob, sourceUrl: `file://${path.join(api.sys.areaOf(domain), 'later.csv')}` })).status, 201);
    await api.sys.db.query(`update jobs set source_url = 'file:///etc/hosts' where domain = $1 and identifier = 's-outside'`, [domain]);
    const refused = await sample('s-outside', { fromSource: true }, admin, undefined, sysCall);
    assert.equal(refused.status, 422, refused.text);
    assert.match(refused.json.detail, /^sourceUrl: file sources of domain sampling-api must be under .*\/sampling-api\/ \(.*\)\.$/);
    assert.equal(await status('s-outside'), 'unscheduled', 'a refused source leaves the setup status alone');
    const bad = await sample('s1', { fromSource: false });
    assert.equal(bad.status, 400);
  });

  it('bounds the sample size and refuses other media types', async () => {
    const big = await sample('s1', renamed + 'x'.repeat(5 * 1024 * 1024));
    assert.equal(big.status, 413, big.text.slice(0, 300));
    const plain = await sample('s1', renamed, admin, 'text/plain');
    assert.equal(plain.status, 415, plain.text);
    const empty = await sample('s1', '');
    assert.equal(empty.status, 200, empty.text);
    assert.equal(empty.json.status, 'sampling_failed');
    await sample('s1', renamed);
  });

  it('roles: read_only 403, another domain 404, no token 401', async () => {
    assert.equal((await api.call(reader, 'GET', `${J}/s1/sample`)).status, 200);
    assert.equal((await api.call(otherAdmin, 'GET', `${J}/s1/sample`)).status, 404);
    assert.equal((await api.call(undefined, 'GET', `${J}/s1/sample`)).status, 401);
    assert.equal((await sample('s1', renamed, reader)).status, 403);
    assert.equal((await api.call(reader, 'POST', `${J}/s1/sample/accept`, { rules: {} })).status, 403);
    assert.equal((await sample('s1', renamed, otherAdmin)).status, 404);
    assert.equal((await api.call(otherAdmin, 'POST', `${J}/s1/sample/accept`, { rules: {} })).status, 404);
    assert.equal((await sample('nope', renamed)).status, 404);
    assert.equal((await api.call(undefined, 'POST', `${J}/s1/sample`, renamed, { type: 'text/csv' })).status, 401);
    const sys = await api.sys.token('system_admin');
    assert.equal((await sample('s1', renamed, sys)).status, 200);
  });
});
