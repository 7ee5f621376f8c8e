// The workflows the worker registers. Only workflow-safe code may be imported from here.
export { jobWorkflow } from './jobWorkflow';
export { runWorkflow } from './runWorkflow';
export { scheduledRunWorkflow } from './scheduledRunWorkflow';
export { retentionWorkflow } from './retentionWorkflow';
export { missedSchedulesWorkflow } from './missedSchedulesWorkflow';
export { scheduledJobRunWorkflow } from './scheduledJobRunWorkflow';
