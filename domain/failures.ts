/**
 * ApplicationFailure types that activities throw, and which run outcome each means.
 * A run's outcome is decided by these types, never by parsing messages.
 */

/** The run stopped before ingesting anything, and trying again later may work. */
export const FAILED_TYPES = {
  sourceUnavailable: 'SourceUnavailable',
  unreadableFile: 'UnreadableFile',
  destinationUnavailable: 'DestinationUnavailable',
  /** A file read that got no byte for FILE_READ_STALL_TIMEOUT (a hung file system). */
  readStalled: 'ReadStalled',
} as const;

/** The run needs a person: retrying alone will not fix it. */
export const HALTED_TYPES = {
  limitReached: 'LimitReached',
  credentialsRefused: 'CredentialsRefused',
  mappingMismatch: 'MappingMismatch',
  tooManyRejected: 'TooManyRejected',
  destinationRefused: 'DestinationRefused',
  /** A file: source or destination outside the domain's file area (FILE_ROOTS/<domain>, FILE_AREAS). */
  outsideFileArea: 'OutsideFileArea',
  /** Far fewer rows than usual, and the job's row-count guard says to halt (domain/rowCountGuard.ts). */
  unusualRowCount: 'UnusualRowCount',
  /** A source that is a FIFO, device, socket: only regular files are read. */
  notRegularFile: 'NotRegularFile',
} as const;

/** A person's cancel, seen by a run's one activity between its phases: the run is canceled, not failed. */
export const RUN_CANCELED_TYPE = 'RunCanceled';

const failedSet = new Set<string>(Object.values(FAILED_TYPES));
const haltedSet = new Set<string>(Object.values(HALTED_TYPES));

/** Activity failure types that no activity-level retry can fix; the job's own retries take over. */
export const NON_RETRYABLE_TYPES: string[] = [...failedSet, ...haltedSet, RUN_CANCELED_TYPE];

export function outcomeForFailureType(type: string | undefined | null): 'failed' | 'halted' {
  return type && haltedSet.has(type) ? 'halted' : 'failed';
}

/** What a run's record says when its workflow ended without recording its end (terminated, timed out). */
export const ABNORMAL_RUN_END = 'The run ended abnormally; see its workflow in Temporal Web.';
