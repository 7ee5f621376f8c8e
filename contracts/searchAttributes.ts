import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes operators filter on in Temporal Web, for example
 * `Domain = "acme" AND RunStatus = "halted"`. Registered on start (see temporal/searchAttributes.ts).
 */
export const DomainKey = defineSearchAttributeKey('Domain', SearchAttributeType.KEYWORD);
export const JobIdKey = defineSearchAttributeKey('JobId', SearchAttributeType.KEYWORD);
export const JobModeKey = defineSearchAttributeKey('JobMode', SearchAttributeType.KEYWORD);
export const TaskTypeKey = defineSearchAttributeKey('TaskType', SearchAttributeType.KEYWORD);
export const RunStatusKey = defineSearchAttributeKey('RunStatus', SearchAttributeType.KEYWORD);
export const JobStatusKey = defineSearchAttributeKey('JobStatus', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [DomainKey, JobIdKey, JobModeKey, TaskTypeKey, RunStatusKey, JobStatusKey];

/** Set by Temporal on workflows a Schedule starts: when the schedule meant them to start. */
export const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
