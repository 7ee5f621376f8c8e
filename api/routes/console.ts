import fs from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';

/**
 * The administrators' console: static ES modules and a stylesheet from `console/`, and the one
 * vendor module (htm + Preact) from node_modules, served at /console/. There is no build: the
 * files are read once when the API starts, so no request path ever reaches the file system.
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

/** Every file of the console folder (one level of subfolders), by its URL path under /console/. */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const add = (urlPath: string, file: string) => {
    const type = TYPES[path.extname(file)];
    if (type) assets.set(urlPath, { body: fs.readFileSync(file), type });
  };
  for (const entry of fs.readdirSync(CONSOLE_DIR, { withFileTypes: true })) {
    if (entry.isFile()) add(entry.name, path.join(CONSOLE_DIR, entry.name));
    else if (entry.isDirectory()) {
      for (const sub of fs.readdirSync(path.join(CONSOLE_DIR, entry.name), { withFileTypes: true })) {
        if (sub.isFile()) add(`${entry.name}/${sub.name}`, path.join(CONSOLE_DIR, entry.name, sub.name));
      }
    }
  }
  add('vendor/htm-preact.mjs', VENDOR_MODULE);
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
  const assets = loadAssets();
  // Strict: /console (redirected) and /console/ (the page) are two routes.
  const router = Router({ strict: true });
  router.get('/console', (_req, res) => res.redirect(301, '/console/'));
  router.get('/console/', (_req, res) => send(res, assets.get('index.html')!));
  router.get('/console/*rest', (req, res, next) => {
    const asset = assets.get(req.path.slice('/console/'.length));
    if (!asset) return next();
    send(res, asset);
  });
  return router;
}
