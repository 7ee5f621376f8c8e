import { html, useCallback, useEffect, useRef, useState } from './vendor/htm-preact.mjs';
import { api } from './api.js';

/** How soon a load that failed (not with a 4xx) is tried again when the page loads it only once. */
const RETRY_MS = 2_000;

/**
 * GETs `url` now, whenever it changes, and every `everyMs` while the page is visible: one
 * request at a time, so an open page costs the API at most one request per period.
 */
export function usePoll(url, everyMs) {
  const [state, setState] = useState({ data: null, error: null });
  const [tick, setTick] = useState(0);
  const loaded = useRef(false);
  useEffect(() => {
    if (!url) return undefined;
    let stopped = false;
    let timer;
    const controller = new AbortController();
    const load = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const data = await api.get(url, { signal: controller.signal });
          if (!stopped) setState({ data, error: null });
        } catch (error) {
          if (!stopped && error.name !== 'AbortError') setState((s) => ({ data: s.data, error }));
          // A page that loads once (everyMs 0) tries again after a failure rather than staying empty.
          if (!stopped && !everyMs && error.name !== 'AbortError' && !(error.status >= 400 && error.status < 500)) timer = setTimeout(load, RETRY_MS);
        }
      }
      if (!stopped && everyMs) timer = setTimeout(load, everyMs);
    };
    // The first load at once; after that, a filter typed letter by letter asks once it settles, not per key.
    timer = setTimeout(load, loaded.current ? 150 : 0);
    loaded.current = true;
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
    };
  }, [url, everyMs, tick]);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, refresh };
}

let taskTypesCache;
/** The task types (fields, filters, settings), loaded once per page load and tried again as usePoll does. */
export function useTaskTypes() {
  const { data } = usePoll(taskTypesCache ? null : '/task-types', 0);
  if (data && !taskTypesCache) taskTypesCache = data.items;
  return taskTypesCache ?? [];
}

/**
 * What a form shows above its fields: the refusal's message when it names no field, else the
 * errors naming a field the form does not show (each of the others is shown at its field).
 */
export function otherErrors(error, shownFields) {
  if (!error) return [];
  if (!error.errors?.length) return [error.message];
  const shown = (f) => shownFields.some((s) => f === s || f.startsWith(`${s}.`));
  return error.errors.filter((e) => !shown(e.field)).map((e) => `${e.field}: ${e.message}`);
}

/** The list of otherErrors, as an alert. */
export const FormErrors = ({ error, shown }) => {
  const messages = otherErrors(error, shown);
  return messages.length ? html`<div class="error" role="alert">${messages.map((m) => html`<p>${m}</p>`)}</div>` : null;
};
