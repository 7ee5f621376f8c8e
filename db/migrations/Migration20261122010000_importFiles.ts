import { Migration } from '@mikro-orm/migrations';

/**
 * The files an import run reads, in order, with what became of each: a resumed run reads
 * the same list, and only the files it read are renamed `.imported` after the commit.
 */
export class Migration20261122010000_importFiles extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table import_files (
        run_id bigint not null references runs (id) on delete cascade,
        file_index integer not null,
        path text not null,
        size bigint not null,
        mtime_ms double precision not null,
        status text not null default 'pending' check (status in ('pending', 'read', 'refused')),
        primary key (run_id, file_index)
      )`);
  }
}
