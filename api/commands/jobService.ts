import crypto from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { JobSchema, RunSchema, type Job } from '../../db/entities';
import { type RunTrigger } from '../../domain/jobDefinition';
import { jobWorkflowId } from '../../contracts/workflowIds';
import type { JobSettings } from '../../domain/jobLifecycle';
import { timeZoneProblem } from '../../domain/cron';
import { schedulingRefusal } from '../../domain/schedule';
import type { Config } from '../../infra/config';
import { importRulesSchema, rulesProblems, type ImportRules } from '../../taskTypes/importRules';
import { findTaskType, taskTypeNames } from '../../taskTypes/registry';
import type { TaskType } from '../../taskTypes/taskType';
import { deleteJobSchedule, upsertJobSchedule } from '../../temporal/schedules';
import {
  definitionChangedSignal, deleteSignal, pauseUpdate, reactivateUpdate, runNowUpdate,
  type JobView, type PauseAnswer, type ReactivateAnswer, type RunNowAnswer,
} from '../../contracts/messages';
import type { jobWorkflow } from '../../workflows/jobWorkflow';
import { DomainKey, JobIdKey, JobModeKey, TaskTypeKey } from '../../contracts/searchAttributes';
import { exportSpecOf } from '../../io/export/exportTypes';
import { credentialsRefusal, placeInWords } from '../../domain/urlCredentials';
import { destinationRefusal } from '../../io/networkPolicy';
import { OutsideAreaError, describeArea, fileAreaOf, resolveSourceInArea, resolveTargetInArea, type FileArea } from '../../io/safeFiles';
import type { Principal } from '../http/auth';
import { HttpError, notFound } from '../http/problem';
import { updateProblem } from '../http/temporalProblem';
import type { CreateJobBody } from '../http/schemas';
import { configSummary } from '../queries/display';
import { liveJobState } from '../queries/liveState';
import { scheduleTimingOf } from '../../taskTypes/jobTiming';

/**
 * The settings the service uses, all required: without the file roots and areas, or the hosts
 * exports may reach, a caller does not compile (the path guard cannot be left off by omission).
 */
export type ServiceConfig = Pick<Config,
  'TEMPORAL_TASK_QUEUE' | 'RUN_RETRY_LIMIT' | 'RUN_RETRY_INTERVAL' | 'RUN_REQUEST_TIMEOUT_MS' | 'JOB_HISTORY_LIMIT' | 'SCHEDULE_CATCHUP_WINDOW' | 'fileRoots' | 'fileAreas' | 'exportAllowedHosts'>;

export interface ServiceDeps {
  orm: MikroORM;
  temporal: Client;
  config: ServiceConfig;
}

/** A refusal's field in the problem's `errors`, as a 400 names its fields, so a client can show it at that field. */
const fieldErrors = (field: string, message: string) => ({ errors: [{ in: 'body' as const, field, message }] });

/** A 422 refusing one field of the definition. */
const refusedField = (title: string, field: string, message: string) => new HttpError(422, title, message, fieldErrors(field, message));

/** The real path of a file: URL in the domain's file area (a destination: its folder), or a 422 naming the field and the area. */
export async function allowedPathOr422(field: 'sourceUrl' | 'destinationUrl', url: string, area: FileArea): Promise<string> {
  try {
    // A destination's file name is not followed (a link there is replaced when the export writes).
    return field === 'destinationUrl' ? (await resolveTargetInArea(url, area)).dir : await resolveSourceInArea(url, area);
  } catch (e) {
    if (e instanceof OutsideAreaError) {
      const what = field === 'sourceUrl' ? 'file sources' : 'file destinations';
      const message = `${what} of domain ${area.domain} must be under ${describeArea(area)} (${e.message})`;
      throw new HttpError(422, 'Path refused', `${field}: ${message}.`, fieldErrors(field, message));
    }
    throw e;
  }
}

/** Rules that cannot be used with the task type, as one 422 naming each field (create, update, accepting a sample). */
export function refuseBadRules(rules: ImportRules, taskType: TaskType): void {
  const errors = rulesProblems(rules, taskType.fields.map((f) => f.name));
  if (errors.length) throw new HttpError(422, 'Rules refused', errors.map((e) => `${e.field}: ${e.message}`).join('; ') + '.', { errors: errors.map((e) => ({ in: 'body', ...e })) });
}

/**
 * What the API does with jobs: the definition goes to PostgreSQL, the live state to the
 * job workflow, the timing to a Temporal Schedule. Handlers stay thin and call this.
 */
export class JobService {
  constructor(private readonly deps: ServiceDeps) {}

  settingsOf(job: Job): JobSettings {
    const timing = scheduleTimingOf(job);
    return {
      mode: job.mode,
      setupStatus: job.setupStatus,
      hasSchedule: !!timing,
      active: job.active,
      retryLimit: this.deps.config.RUN_RETRY_LIMIT,
      retryIntervalMs: this.deps.config.RUN_RETRY_INTERVAL,
      sendReport: job.sendReport && job.recipients.length > 0,
      where: placeInWords(job.direction === 'import' ? job.sourceUrl : job.destinationUrl),
    };
  }

  /** The definition's problems an administrator must fix, as one 422. */
  private check(def: Pick<Job, 'taskType' | 'direction' | 'mode' | 'scheduling' | 'sourceUrl' | 'destinationUrl' | 'timezone' | 'rules'>): void {
    const taskType = findTaskType(def.taskType);
    if (!taskType) throw refusedField('Unknown task type', 'taskType', `"${def.taskType}" is not a task type. Known: ${taskTypeNames().join(', ')}.`);
    if (!taskType.directions.includes(def.direction)) throw refusedField('Unsupported direction', 'direction', `${def.taskType} does not support ${def.direction}.`);
    const tz = timeZoneProblem(def.timezone);
    if (tz) throw new HttpError(422, 'Time zone refused', `timezone: ${tz}.`, { errors: [{ in: 'body', field: 'timezone', message: tz }] });
    const rules = importRulesSchema.safeParse(def.rules ?? {});
    if (rules.success) refuseBadRules(rules.data, taskType);
    const refusal = schedulingRefusal(def.mode, def.direction, def.scheduling, taskType.defaultTiming);
    if (refusal) throw refusedField('Schedule refused', 'scheduling', refusal);
    if (def.direction === 'import' && !def.sourceUrl) throw refusedField('Source missing', 'sourceUrl', 'An import job needs a sourceUrl.');
    if (def.direction === 'export' && !def.destinationUrl) throw refusedField('Destination missing', 'destinationUrl', 'An export job needs a destinationUrl.');
    // A realtime export sends changes as they happen: only tables whose changes are recorded can.
    if (def.direction === 'export' && def.mode === 'realtime' && !exportSpecOf(def.taskType)?.descriptor.realtime) {
      throw refusedField('Realtime export unavailable', 'mode', `${def.taskType} records no changes to send as they happen; use a batch export.`);
    }
  }

  list(domain: string): Promise<Job[]> {
    return this.deps.orm.em.fork().find(JobSchema, { domain }, { orderBy: { identifier: 'asc' } });
  }

  /**
   * A URL carrying a credential (they live in the secret store only), an https:, ftp: or
   * ftps: host on this machine or the private network, or a file: source or destination
   * outside the domain's file area, is refused before anything is saved.
   */
  private async checkPaths(def: Pick<Job, 'domain' | 'identifier' | 'sourceUrl' | 'destinationUrl'>): Promise<void> {
    const secretsPath = `/domains/${encodeURIComponent(def.domain)}/jobs/${encodeURIComponent(def.identifier)}/secrets`;
    for (const [field, url] of [['sourceUrl', def.sourceUrl], ['destinationUrl', def.destinationUrl]] as const) {
      if (!url) continue;
      const credentials = credentialsRefusal(field, url, secretsPath);
      if (credentials) throw new HttpError(422, 'Credentials in URL', credentials, { field, secrets: secretsPath, ...fieldErrors(field, credentials) });
      const refusal = destinationRefusal(url, this.deps.config.exportAllowedHosts);
      if (refusal) throw new HttpError(422, 'Destination refused', `${field}: ${refusal}.`, { field, ...fieldErrors(field, refusal) });
      if (url.toLowerCase().startsWith('file:')) await allowedPathOr422(field, url, this.fileArea(def.domain));
    }
  }

  /** Where the domain's file: sources and destinations may be (io/safeFiles.ts). */
  fileArea(domain: string): FileArea {
    return fileAreaOf(domain, this.deps.config.fileRoots, this.deps.config.fileAreas);
  }

  async find(domain: string, identifier: string): Promise<Job> {
    const job = await this.deps.orm.em.fork().findOne(JobSchema, { domain, identifier });
    if (!job) throw notFound(`Job ${identifier}`);
    return job;
  }

  /** Every job of the domain, by identifier. */
  async identifiers(domain: string): Promise<string[]> {
    const jobs = await this.deps.orm.em.fork().find(JobSchema, { domain }, { fields: ['identifier'], orderBy: { identifier: 'asc' } });
    return jobs.map((j) => j.identifier);
  }

  async create(domain: string, body: CreateJobBody): Promise<Job> {
    const em = this.deps.orm.em.fork();
    const { id, ...rest } = body;
    const job = em.create(JobSchema, {
      ...rest, id: crypto.randomUUID(), domain, identifier: id, setupStatus: 'ready', samplingProblems: [], logsReadUpTo: '0',
      sourceUrl: body.sourceUrl ?? null, destinationUrl: body.destinationUrl ?? null,
      createdAt: new Date(), updatedAt: new Date(),
    } as Job);
    this.check(job);
    await this.checkPaths(job);
    try {
      await em.persistAndFlush(job);
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) throw new HttpError(409, 'Conflict', `Job ${id} already exists in domain ${domain}.`);
      throw e;
    }
    try {
      await this.startWorkflows(job);
    } catch (e) {
      // A job without its workflow could never run: undo, so the administrator can simply retry.
      await deleteJobSchedule(this.deps.temporal, domain, job.identifier).catch(() => undefined);
      await em.removeAndFlush(job);
      throw e;
    }
    return job;
  }

  private async startWorkflows(job: Job): Promise<void> {
    const { domain } = job;
    // The schedule first, so the job workflow finds it (and its next run time) when it starts.
    await this.syncSchedule(job);
    await this.deps.temporal.workflow.start<typeof jobWorkflow>('jobWorkflow', {
      workflowId: jobWorkflowId(domain, job.identifier),
      taskQueue: this.deps.config.TEMPORAL_TASK_QUEUE,
      args: [{
        domain, jobId: job.identifier, name: job.name, direction: job.direction, taskType: job.taskType, settings: this.settingsOf(job),
        historyLimit: this.deps.config.JOB_HISTORY_LIMIT,
      }],
      memo: { jobName: job.name },
      // Shown by Temporal Web: the job as it was created (its current state is in its current details).
      staticSummary: `Job ${job.name} (${domain}/${job.identifier})`,
      staticDetails: configSummary({ ...job, sourceUrl: placeInWords(job.sourceUrl) ?? null, destinationUrl: placeInWords(job.destinationUrl) ?? null }),
      typedSearchAttributes: [
        { key: DomainKey, value: domain },
        { key: JobIdKey, value: job.identifier },
        { key: JobModeKey, value: job.mode },
        { key: TaskTypeKey, value: job.taskType },
      ],
    });
  }

  private async syncSchedule(job: Job): Promise<void> {
    const timing = scheduleTimingOf(job);
    if (!timing) {
      await deleteJobSchedule(this.deps.temporal, job.domain, job.identifier);
      return;
    }
    await upsertJobSchedule(this.deps.temporal, {
      domain: job.domain, jobId: job.identifier, name: job.name, mode: job.mode, taskType: job.taskType, timing, timezone: job.timezone,
      taskQueue: this.deps.config.TEMPORAL_TASK_QUEUE, catchupWindowMs: this.deps.config.SCHEDULE_CATCHUP_WINDOW,
    });
  }

  async update(domain: string, identifier: string, changes: Partial<CreateJobBody>): Promise<Job> {
    const em = this.deps.orm.em.fork();
    const job = await em.findOne(JobSchema, { domain, identifier });
    if (!job) throw notFound(`Job ${identifier}`);
    Object.assign(job, changes);
    this.check(job);
    await this.checkPaths(job);
    await em.flush();
    await this.syncSchedule(job);
    await this.handle(job).signal(definitionChangedSignal, { settings: this.settingsOf(job), name: job.name });
    return job;
  }

  async delete(domain: string, identifier: string, by: Principal): Promise<void> {
    const em = this.deps.orm.em.fork();
    const job = await em.findOne(JobSchema, { domain, identifier });
    if (!job) throw notFound(`Job ${identifier}`);
    await deleteJobSchedule(this.deps.temporal, domain, identifier);
    await this.handle(job).signal(deleteSignal, { by: by.name }).catch((e) => {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    });
    await em.removeAndFlush(job);
  }

  handle(job: Pick<Job, 'domain' | 'identifier'>) {
    return this.deps.temporal.workflow.getHandle(jobWorkflowId(job.domain, job.identifier));
  }

  liveState(job: Pick<Job, 'domain' | 'identifier'>): Promise<JobView | undefined> {
    return liveJobState(this.deps.temporal, job);
  }

  /** Asks the job workflow for a run: its answer, or its refusal as a 409. */
  runNow(job: Job, by: Principal, trigger: Extract<RunTrigger, 'manual' | 'event'> = 'manual', detail?: string): Promise<RunNowAnswer> {
    const refusedTitle = trigger === 'event' ? 'Event refused' : 'Run refused';
    return this.ask(job, runNowUpdate, refusedTitle, (expiresAt) => ({ trigger, requestedBy: by.name, detail, expiresAt }));
  }

  pause(job: Job, by: Principal, note?: string): Promise<PauseAnswer> {
    return this.ask(job, pauseUpdate, 'Pause refused', (expiresAt) => ({ by: by.name, note, expiresAt }));
  }

  reactivate(job: Job, by: Principal): Promise<ReactivateAnswer> {
    return this.ask(job, reactivateUpdate, 'Reactivation refused', (expiresAt) => ({ by: by.name, expiresAt }));
  }

  /**
   * Sends a person's request to the job workflow as one update and waits for its answer for
   * RUN_REQUEST_TIMEOUT_MS. The request expires a fifth of that earlier, by when a worker must
   * have taken it, so the answer has time to come back; one taken later is refused unapplied.
   */
  private async ask<Ret, Arg extends { expiresAt: string }>(
    job: Pick<Job, 'domain' | 'identifier'>, update: UpdateDefinition<Ret, [Arg]>, refusedTitle: string, request: (expiresAt: string) => Arg,
  ): Promise<Ret> {
    const timeoutMs = this.deps.config.RUN_REQUEST_TIMEOUT_MS;
    const sentAt = Date.now();
    const expiresAt = new Date(sentAt + timeoutMs * 0.8).toISOString();
    try {
      return await this.deps.temporal.withDeadline(sentAt + timeoutMs, () => this.handle(job).executeUpdate(update, { args: [request(expiresAt)] }));
    } catch (e) {
      throw updateProblem(e, { refusedTitle, timeoutMs, expiresAt }) ?? e;
    }
  }

  /** Cancels the run in progress (its record is open), if any; returns its number. */
  async cancelRun(job: Job): Promise<number | undefined> {
    const em = this.deps.orm.em.fork();
    const run = await em.findOne(RunSchema, { jobId: job.id, endedAt: null }, { orderBy: { number: 'desc' } });
    if (!run) return undefined;
    // First the record, which the run's one activity reads between its phases (at once); then
    // Temporal's cancel, which reaches a phase at work with its next heartbeat's answer.
    await em.nativeUpdate(RunSchema, { id: run.id, endedAt: null }, { cancelRequestedAt: new Date() });
    await this.deps.temporal.workflow.getHandle(run.workflowId).cancel();
    return run.number;
  }
}
