import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Spool } from '../../io/export/spool';
import {
  NotRegularFileError, OutsideAreaError, ReadStalledError, createTempFile, ensurePrivateFolder, fileAreaOf, listRegularFiles,
  openReadStream, openRegularFile, readChunks, readHead, renameInFolder, resolveSourceInArea, writePrivateFile,
} from '../../io/safeFiles';
import { loadConfig } from '../../infra/config';

const parseFileAreasForTest = (v: string) => loadConfig({ FILE_AREAS: v }).fileAreas;

/**
 * The safe file module on real files, folders, links, FIFOs and devices made here: what it
 * refuses, how fast, and what it creates.
 */
describe('safe file access (io/safeFiles.ts)', () => {
  let root: string;
  let acme: string;
  let beta: string;
  const area = () => fileAreaOf('acme', [root]);
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-safe-'));
    acme = path.join(root, 'acme');
    beta = path.join(root, 'beta');
    fs.mkdirSync(acme);
    fs.mkdirSync(beta);
    fs.writeFileSync(path.join(acme, 'mine.csv'), 'a,b\n1,2\n');
    fs.writeFileSync(path.join(beta, 'theirs.csv'), 'secret\n');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const refusal = async (p: Promise<unknown>, kind: new (...a: never[]) => Error, pattern?: RegExp) => {
    await assert.rejects(p, (e: Error) => {
      assert.ok(e instanceof kind, `${e.constructor.name}: ${e.message}`);
      if (pattern) assert.match(e.message, pattern);
      return true;
    });
  };

  it("a domain's area is <root>/<domain>/ of each root, plus the folders granted to it; a name that is not one path segment has none", () => {
    assert.deepEqual(fileAreaOf('acme', ['/srv/a', '/srv/b'], { acme: ['/mnt/x'], beta: ['/mnt/y'] }).folders, ['/srv/a/acme', '/srv/b/acme', '/mnt/x']);
    for (const bad of ['..', '.', 'a/b', '', 'A', 'x\0y']) assert.throws(() => fileAreaOf(bad, ['/srv']), OutsideAreaError);
  });

  it('FILE_AREAS parses domain=/folder,/folder;domain2=/folder and refuses anything else', () => {
    assert.deepEqual(parseFileAreasForTest('acme=/srv/in/acme,/mnt/acme ; beta=/srv/beta'), { acme: ['/srv/in/acme', '/mnt/acme'], beta: ['/srv/beta'] });
    assert.deepEqual(parseFileAreasForTest(''), {});
    for (const bad of ['acme', 'acme=relative/path', '../x=/srv', 'ACME=/srv']) assert.throws(() => parseFileAreasForTest(bad), /FILE_AREAS/);
  });

  it("refuses paths outside the area: another domain's area, the root itself, .., links out, a link from the area to another's, the area folder itself a link", async () => {
    fs.symlinkSync(path.join(beta, 'theirs.csv'), path.join(acme, 'link-to-beta.csv'));
    fs.symlinkSync(beta, path.join(acme, 'beta-folder'));
    fs.symlinkSync('/etc/passwd', path.join(acme, 'passwd.csv'));
    const sources = [
      `file://${beta}/theirs.csv`, `file://${root}/x.csv`, `file://${acme}/../beta/theirs.csv`, `file://${acme}/link-to-beta.csv`,
      `file://${acme}/beta-folder/theirs.csv`, `file://${acme}/passwd.csv`, 'file:///etc/passwd', `file://${acme}/%2e%2e/beta/theirs.csv`,
    ];
    for (const s of sources) await refusal(resolveSourceInArea(s, area()), OutsideAreaError, /outside the file area of domain acme: its files must be under .*\/acme\//);
    await refusal(openRegularFile(path.join(acme, 'link-to-beta.csv'), area()), OutsideAreaError);
    // <root>/gamma -> <root>/beta: gamma's area does not become beta's.
    fs.symlinkSync(beta, path.join(root, 'gamma'));
    await refusal(resolveSourceInArea(`file://${root}/gamma/theirs.csv`, fileAreaOf('gamma', [root])), OutsideAreaError);
    assert.equal(await resolveSourceInArea(`file://${acme}/mine.csv`, area()), path.join(fs.realpathSync(acme), 'mine.csv'));
  });

  it('refuses a FIFO without blocking, many at once, while other file work goes on (no thread pool exhaustion)', async () => {
    const fifo = path.join(acme, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    // More than libuv's 4 threads: a blocking open would hold all of them.
    const opens = Array.from({ length: 12 }, () => refusal(openRegularFile(fifo, area()), NotRegularFileError, /named pipe \(FIFO\), not a regular file/));
    const reads = Array.from({ length: 12 }, () => refusal(readHead(fifo, 1024, { area: area() }), NotRegularFileError));
    await Promise.all([...opens, ...reads]);
    assert.equal(fs.readFileSync(path.join(acme, 'mine.csv'), 'utf8'), 'a,b\n1,2\n');
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
  });

  it('refuses character devices (in the area, or granted) and sockets, never reading them', async () => {
    execFileSync('mknod', [path.join(acme, 'zero.csv'), 'c', '1', '5']); // /dev/zero's numbers
    await refusal(openRegularFile(path.join(acme, 'zero.csv'), area()), NotRegularFileError, /character device/);
    const devArea = { domain: 'acme', folders: ['/dev'] };
    for (const dev of ['/dev/zero', '/dev/urandom']) await refusal(readHead(dev, 10, { area: devArea }), NotRegularFileError, /character device/);
    await refusal(openRegularFile(acme, area()), NotRegularFileError, /folder/);
  });

  it('lists only regular files of the folder; a link out of the area refuses the listing, naming it', async () => {
    const dir = path.join(acme, 'inbox');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.csv'), 'x\n');
    execFileSync('mkfifo', [path.join(dir, 'fifo.csv')]);
    fs.mkdirSync(path.join(dir, 'sub'));
    assert.deepEqual((await listRegularFiles(dir, area())).map((f) => f.name), ['a.csv']);
    fs.symlinkSync(path.join(beta, 'theirs.csv'), path.join(dir, 'z.csv'));
    await refusal(listRegularFiles(dir, area()), OutsideAreaError, /z\.csv in .*inbox/);
  });

  it('a read with no byte for the stall time fails with a reason; an abort stops it at once', async () => {
    const never = { read: () => new Promise<never>(() => undefined) };
    const t0 = Date.now();
    await refusal((async () => {
      for await (const chunk of readChunks(never, 'hung.csv', { stallMs: 300 })) void chunk;
    })(), ReadStalledError, /Reading hung\.csv made no progress for 0 s/);
    assert.ok(Date.now() - t0 < 2_000);
    const stop = new AbortController();
    setTimeout(() => stop.abort(new Error('canceled by a person')), 100);
    const t1 = Date.now();
    await assert.rejects(async () => {
      for await (const chunk of readChunks(never, 'hung.csv', { stallMs: 60_000, signal: stop.signal })) void chunk;
    }, /canceled by a person/);
    assert.ok(Date.now() - t1 < 2_000);
  });

  it('counts the bytes actually read, and an abort stops an endless regular file', async () => {
    const sparse = path.join(acme, 'endless.csv');
    fs.writeFileSync(sparse, '');
    fs.truncateSync(sparse, 2 ** 40); // a terabyte of holes: reads forever
    const stop = new AbortController();
    let seen = 0;
    const stream = openReadStream(sparse, { area: area(), signal: stop.signal, onBytes: (n) => (seen = n) });
    let got = 0;
    await assert.rejects(async () => {
      for await (const chunk of stream) {
        got += (chunk as Buffer).length;
        if (got > 8 << 20) stop.abort(new Error('stop'));
      }
    }, /stop/);
    assert.ok(seen >= got && seen < got + (1 << 20), `${seen} read, ${got} consumed`);
  });

  it('creates temporary files exclusively, 0600, under unpredictable names; a planted link at the final name is replaced, not followed', async () => {
    const out = path.join(acme, 'out');
    fs.mkdirSync(out);
    const a = await createTempFile(out, 'x.csv', area());
    const b = await createTempFile(out, 'x.csv', area());
    assert.notEqual(a.path, b.path);
    assert.match(path.basename(a.path), /^\.x\.csv\.[A-Za-z0-9_-]{16}\.part$/);
    assert.equal(fs.statSync(a.path).mode & 0o777, 0o600);
    await a.handle.close();
    await b.handle.close();
    const victim = path.join(beta, 'theirs.csv');
    fs.symlinkSync(victim, path.join(out, 'final.csv'));
    await writePrivateFile(path.join(out, 'final.csv'), (h) => h.writeFile('ours\n'), area());
    assert.ok(fs.lstatSync(path.join(out, 'final.csv')).isFile());
    assert.equal(fs.readFileSync(path.join(out, 'final.csv'), 'utf8'), 'ours\n');
    assert.equal(fs.readFileSync(victim, 'utf8'), 'secret\n');
    assert.equal(fs.statSync(path.join(out, 'final.csv')).mode & 0o777, 0o600);
    await assert.rejects(renameInFolder(a.path, '../escape.csv'), /not a file name/);
    // A temp file in a folder that leads out of the area is refused before anything is created.
    await refusal(createTempFile(path.join(acme, 'beta-folder'), 'x.csv', area()), OutsideAreaError);
    assert.deepEqual(fs.readdirSync(beta), ['theirs.csv']);
  });

  it('the work folder is made private, a world-writable one is fixed, a link is refused; spool files are 0600', async () => {
    const work = path.join(root, 'work', 'export');
    await ensurePrivateFolder(work);
    assert.equal(fs.statSync(work).mode & 0o777, 0o700);
    fs.chmodSync(work, 0o777);
    await ensurePrivateFolder(work);
    assert.equal(fs.statSync(work).mode & 0o777, 0o700);
    const link = path.join(root, 'work', 'link');
    fs.symlinkSync(beta, link);
    await assert.rejects(ensurePrivateFolder(link), /symbolic link, not a folder/);
    const spool = await Spool.open(path.join(work, 'run_1.csv'));
    await spool.write('a,b\n');
    await spool.commit();
    assert.deepEqual(fs.readdirSync(work), ['run_1.csv']);
    assert.equal(fs.statSync(path.join(work, 'run_1.csv')).mode & 0o777, 0o600);
  });
});
