import { html, render, useEffect, useState } from './vendor/htm-preact.mjs';
import { currentUser, onSessionChange, signOut } from './api.js';
import { SignIn } from './signIn.js';
import { JobList } from './jobList.js';
import { JobPage } from './jobPage.js';
import { NewJob } from './newJob.js';
import { SamplePage } from './samplePage.js';
import { TokensPage } from './tokensPage.js';
import { SchedulesPage } from './schedulesPage.js';
import { AuditPage } from './auditPage.js';

/** Routes are in the hash (#/jobs/demo/nightly), so the API serves one page and nothing else. */
function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(hash.split('?')[1] ?? '');
  if (parts[0] === 'jobs' && parts.length >= 3) return { page: parts[3] === 'sample' ? 'sample' : 'job', domain: parts[1], id: parts[2], query };
  if (parts[0] === 'new') return { page: 'new', query };
  if (parts[0] === 'tokens') return { page: 'tokens', query };
  if (parts[0] === 'schedules') return { page: 'schedules', query };
  if (parts[0] === 'audit') return { page: 'audit', query };
  return { page: 'list', query };
}

function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

const TITLES = { list: 'Jobs', job: 'Job', sample: 'Sample file', new: 'New job', tokens: 'Tokens', schedules: 'Schedules (OPML)', audit: 'Audit' };

function Shell({ me, route }) {
  useEffect(() => {
    document.title = `${TITLES[route.page]} · jobflow console`;
  }, [route.page]);
  const canWrite = me.role !== 'read_only';
  const link = (href, label, page) => html`<a href=${href} aria-current=${route.page === page ? 'page' : undefined}>${label}</a>`;
  let page;
  if (route.page === 'job') page = html`<${JobPage} me=${me} domain=${route.domain} id=${route.id} tab=${route.query.get('tab') ?? 'information'} />`;
  else if (route.page === 'sample') page = html`<${SamplePage} me=${me} domain=${route.domain} id=${route.id} />`;
  else if (route.page === 'new' && canWrite) page = html`<${NewJob} me=${me} />`;
  else if (route.page === 'tokens' && me.role === 'system_admin') page = html`<${TokensPage} />`;
  else if (route.page === 'schedules') page = html`<${SchedulesPage} me=${me} />`;
  else if (route.page === 'audit') page = html`<${AuditPage} me=${me} />`;
  else page = html`<${JobList} me=${me} query=${route.query} />`;
  return html`
    <header class="top">
      <a class="brand" href="#/">jobflow</a>
      <nav aria-label="Main">
        ${link('#/', 'Jobs', 'list')}
        ${canWrite ? link('#/new', 'New job', 'new') : null}
        ${link('#/schedules', 'Schedules', 'schedules')}
        ${link('#/audit', 'Audit', 'audit')}
        ${me.role === 'system_admin' ? link('#/tokens', 'Tokens', 'tokens') : null}
      </nav>
      <span class="who">${me.name} · ${me.role.replace('_', ' ')}${me.domain ? ` · ${me.domain}` : ''}</span>
      <button type="button" class="quiet" onClick=${signOut}>Sign out</button>
    </header>
    <main id="main">${page}</main>`;
}

function App() {
  const [me, setMe] = useState(currentUser());
  const route = useRoute();
  useEffect(() => onSessionChange(setMe), []);
  return me ? html`<${Shell} me=${me} route=${route} />` : html`<${SignIn} />`;
}

const root = document.getElementById('app');
root.textContent = ''; // the loading line: Preact adds to what is there
render(html`<${App} />`, root);
