import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../contracts/searchAttributes';

const INDEXED = temporal.api.enums.v1.IndexedValueType;

/** The names of our custom search attributes the namespace lacks. */
export async function missingSearchAttributes(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  return ALL_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (existing.customAttributes ?? {}))).map((k) => k.name);
}

/**
 * Registers the custom search attributes operators filter on, if they are missing (npm run
 * temporal:setup, and npm start and the tests on their dev server). They hold ids, modes and
 * statuses only, in plaintext: nothing a job's definition or files say.
 */
export async function ensureSearchAttributes(connection: ConnectionLike, namespace: string): Promise<void> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (!missing.length) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((name) => [name, INDEXED.INDEXED_VALUE_TYPE_KEYWORD])),
  });
}
