import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import type { ActivityConfig } from '../../activities/deps';
import type { ApiConfig } from '../../api/app';
import type { ServiceConfig } from '../../api/commands/jobService';
import { loadConfig } from '../../infra/config';
import type { WorkerOptions } from '../../worker/createWorker';
import type { TemporalTarget } from '../../temporal/connection';

/**
 * One settings path (issue 13 §4): every setting is read once, by loadConfig(), and handed to
 * the parts that use it. A part built without a setting it needs does not compile (the
 * @ts-expect-error lines below fail `npm run check` the day one becomes optional again), and a
 * value that is not a setting's is refused at start, naming it.
 */
describe('settings: read once, injected, required by type', () => {
  const config = loadConfig({});

  it('a service, activities or an API without file roots and areas, or without the hosts exports may reach, do not compile', () => {
    const { fileRoots: _roots, fileAreas: _areas, ...withoutAreas } = config;
    // @ts-expect-error the service's path guard needs the file roots and areas
    const service: ServiceConfig = withoutAreas;
    // @ts-expect-error so do the activities'
    const activities: ActivityConfig = withoutAreas;
    // @ts-expect-error and the API's (sampling, job changes)
    const api: ApiConfig = withoutAreas;
    const { exportAllowedHosts: _hosts, ...withoutHosts } = config;
    // @ts-expect-error the network policy at save needs EXPORT_ALLOWED_HOSTS
    const atSave: ServiceConfig = withoutHosts;
    assert.ok(service && activities && api && atSave);
  });

  it('a setting that may be unset must still be given: its key is always present', () => {
    const { SECRETS_KEY: _key, ...withoutKey } = config;
    // @ts-expect-error unset is a value of SECRETS_KEY, not a reason to leave it out
    const activities: ActivityConfig = withoutKey;
    const { payloadCodecKeys: _codec, ...plainTarget } = { ...config.temporal, address: '127.0.0.1:7233' };
    // @ts-expect-error a Temporal client or worker is told its payload keys, even none
    const target: TemporalTarget = plainTarget;
    // @ts-expect-error likewise the worker's data converter
    const worker: Pick<WorkerOptions, 'payloadCodecKeys'> = {};
    assert.ok(activities && target && worker);
    for (const key of ['SECRETS_KEY', 'PAYLOAD_CODEC_KEYS', 'EXPORT_CA_FILE', 'SMTP_URL', 'TRUST_PROXY', 'DATABASE_URL']) {
      assert.ok(key in config, `${key} is a key of the configuration`);
    }
  });

  it('gives each setting its default, in the form its users take', () => {
    const c = loadConfig({ PATH: '/usr/bin' });
    assert.deepEqual(c.fileRoots, [path.resolve('data/files')]);
    assert.deepEqual(c.fileAreas, {});
    assert.deepEqual(c.exportAllowedHosts, []);
    assert.equal(c.exportWorkDir, path.join(os.tmpdir(), 'jobflow-export'));
    assert.equal(c.FILE_READ_STALL_TIMEOUT, 60_000);
    assert.equal(c.IMPORT_CHUNK_ROWS, 200_000);
    assert.equal(c.EXPORT_MAX_CHANGES_PER_RUN, 100_000);
    assert.equal(c.CODEC_SESSION_TTL, 8 * 3_600_000);
    assert.equal(loadConfig({ CODEC_SESSION_TTL: '90m' }).CODEC_SESSION_TTL, 90 * 60_000);
    assert.equal(c.searchPath, '/usr/bin');
    const set = loadConfig({
      EXPORT_ALLOWED_HOSTS: ' ftp.partner.edu , 10.0.0.8,,', EXPORT_WORK_DIR: 'spool', FILE_ROOTS: `/srv/a${path.delimiter}/srv/b`,
      FILE_AREAS: 'acme=/mnt/acme', PAYLOAD_CODEC_KEYS: 'k1:abc',
    });
    assert.deepEqual(set.exportAllowedHosts, ['ftp.partner.edu', '10.0.0.8']);
    assert.equal(set.exportWorkDir, path.resolve('spool'));
    assert.deepEqual(set.fileRoots, ['/srv/a', '/srv/b']);
    assert.deepEqual(set.fileAreas, { acme: ['/mnt/acme'] });
    assert.equal(set.temporal.payloadCodecKeys, 'k1:abc', 'the Temporal clients and workers get the payload keys with the rest of their target');
  });

  it('refuses at start a value that is not the setting\'s, naming each', () => {
    const refusal = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    assert.match(refusal({ IMPORT_CHUNK_ROWS: '0' }), /IMPORT_CHUNK_ROWS/);
    assert.match(refusal({ EXPORT_MAX_CHANGES_PER_RUN: 'lots' }), /EXPORT_MAX_CHANGES_PER_RUN/);
    assert.match(refusal({ FILE_READ_STALL_TIMEOUT: '5 minutes' }), /FILE_READ_STALL_TIMEOUT: a duration such as 500ms/);
    assert.match(refusal({ CODEC_SESSION_TTL: '30d' }), /CODEC_SESSION_TTL: a duration such as/);
    assert.match(refusal({ CODEC_SESSION_TTL: '200h' }), /CODEC_SESSION_TTL: between 1m and 168h/);
    const both = refusal({ EXPORT_HTTP_TIMEOUT_MS: '-1', FILE_AREAS: 'acme=relative/dir' });
    assert.match(both, /EXPORT_HTTP_TIMEOUT_MS/);
    assert.match(both, /FILE_AREAS: "acme=relative\/dir" is not domain=\/absolute\/folder/);
  });
});
