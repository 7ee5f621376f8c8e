import { getTaskType, taskTypeNames } from '../../taskTypes/registry';

export const registeredTaskTypes = () => taskTypeNames().map(getTaskType);
