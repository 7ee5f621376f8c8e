import path from 'node:path';
import { MikroORM, type Configuration, type Options } from '@mikro-orm/postgresql';
import type { Config } from '../infra/config';
import { ALL_ENTITIES } from './entities';

/** MikroORM for the given database: entities, and the committed migrations in db/migrations. */
export function ormOptions(databaseUrl: string): Options {
  return {
    clientUrl: databaseUrl,
    entities: ALL_ENTITIES,
    discovery: { warnWhenNoEntities: false },
    migrations: {
      path: path.join(__dirname, 'migrations'),
      pathTs: path.join(__dirname, 'migrations'),
      glob: '!(*.d).{js,ts}',
      transactional: true,
      allOrNothing: true,
      silent: true,
      // Migrations are written by hand; no schema snapshot files next to them.
      snapshot: false,
    },
    pool: { min: 0, max: 10 },
    debug: false,
    allowGlobalContext: false,
  };
}

export async function openOrm(databaseUrl: string): Promise<MikroORM> {
  return MikroORM.init(ormOptions(databaseUrl));
}

/** The settings migrations that write data use (the credentials migration encrypts with SECRETS_KEY). */
export type MigrationSettings = Pick<Config, 'SECRETS_KEY'>;

/** Given by migrate() (MikroORM constructs migrations itself): keyed by the ORM's configuration. */
const migrationSettings = new WeakMap<Configuration, MigrationSettings>();

/** The settings migrate() was given for this ORM (a migration's `this.config`). */
export function migrationSettingsOf(config: Configuration): MigrationSettings {
  const settings = migrationSettings.get(config);
  if (!settings) throw new Error('Migrations run through migrate(orm, settings), which gives them their settings.');
  return settings;
}

/** Gives this ORM's migrations their settings (migrate() does; a test running one migration by hand too). */
export function setMigrationSettings(orm: MikroORM, settings: MigrationSettings): void {
  migrationSettings.set(orm.config, settings);
}

/** Applies every pending migration with `settings`; returns the names applied. */
export async function migrate(orm: MikroORM, settings: MigrationSettings): Promise<string[]> {
  setMigrationSettings(orm, settings);
  // Loaded here, not with the ORM: the worker and the API never migrate, and the migrator's
  // module graph (umzug, its CLI, lodash, ajv...) is a few hundred modules they would hold.
  const { Migrator } = await import('@mikro-orm/migrations');
  Migrator.register(orm);
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
