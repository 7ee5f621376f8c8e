import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

const INDEXED = temporal.api.enums.v1.IndexedValueType;

/**
 * Registers the custom search attributes operators filter on, if they are missing. The
 * same call works on the dev server and on a real cluster (where the operator may prefer
 * `temporal operator search-attribute create`, as the README says).
 */
export async function ensureSearchAttributes(connection: ConnectionLike, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (!missing.length) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED.INDEXED_VALUE_TYPE_KEYWORD])),
  });
}
