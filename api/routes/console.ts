import path from 'node:path';
import { Router, type Response } from 'express';
import { listRegularFiles, readHead, type FileArea } from '../../io/safeFiles';

/**
 * The administrators' console: static ES modules and a stylesheet from `console/`, and the one
 * vendor module (htm + Preact) from node_modules, served at /console/. There is no build: the
 * files are read once when the API starts, through io/safeFiles like every other file (regular
 * files only, in these two folders only), so no request path ever reaches the file system.
 * The console calls the API like any client, with the token kept in the page's memory.
 */

const CONSOLE_DIR = path.resolve(__dirname, '../../console');
/** htm's single-module build: Preact, its hooks and the html tagged template (no build step). */
// (htm's exports map names no .mjs subpath: found from the package's main file.)
const VENDOR_MODULE = path.join(path.dirname(require.resolve('htm')), '../preact/standalone.mjs');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * No inline script or style, nothing from elsewhere, never framed. Preact sets styles through
 * the DOM (allowed). Downloads are blob: URLs the page makes from a fetch (a navigation, not a load).
 */
export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

interface Asset { body: Buffer; type: string }

/** The two folders the console's files come from, as a file area: nothing else is read. */
const CONSOLE_AREA: FileArea = { domain: 'console', folders: [CONSOLE_DIR, path.dirname(VENDOR_MODULE)] };
/** Far above any console file (the largest is ~15 KB): a bigger one is a mistake, not served cut. */
const MAX_ASSET_BYTES = 1024 * 1024;

async function readAsset(file: string): Promise<Buffer> {
  const { bytes, complete } = await readHead(file, MAX_ASSET_BYTES, { area: CONSOLE_AREA, stallMs: 10_000 });
  if (!complete) throw new Error(`${file} is larger than ${MAX_ASSET_BYTES} bytes: not served`);
  return bytes;
}

/** Every file of the console folder by its URL path under /console/, and the vendor module. */
async function loadAssets(): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const add = async (urlPath: string, file: string) => {
    const type = TYPES[path.extname(file)];
    if (type) assets.set(urlPath, { body: await readAsset(file), type });
  };
  for (const f of await listRegularFiles(CONSOLE_DIR, CONSOLE_AREA)) await add(f.name, f.path);
  await add('vendor/htm-preact.mjs', VENDOR_MODULE);
  return assets;
}

const send = (res: Response, asset: Asset) => {
  res
    .set({
      'content-type': asset.type,
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      // Small files, revalidated each time: a new version is seen at the next load.
      'cache-control': 'no-cache',
    })
    .send(asset.body);
};

export function consoleRouter(): Router {
  // Read once, from the start; the first requests wait for it (a failure answers 500, named in the log).
  const loading = loadAssets();
  loading.catch(() => undefined);
  // Strict: /console (redirected) and /console/ (the page) are two routes.
  const router = Router({ strict: true });
  router.get('/console', (_req, res) => res.redirect(301, '/console/'));
  router.get('/console/', async (_req, res) => send(res, (await loading).get('index.html')!));
  router.get('/console/*rest', async (req, res, next) => {
    const asset = (await loading).get(req.path.slice('/console/'.length));
    if (!asset) return next();
    send(res, asset);
  });
  return router;
}
