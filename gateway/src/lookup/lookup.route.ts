import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';

/** The parents' lookup page: plain HTML, CSS and JS served from the gateway's origin at /lookup. */
const PAGE_DIR = path.join(__dirname, 'page');
const FILES: Record<string, { file: string; type: string }> = {
  '/lookup': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/lookup/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/lookup/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/lookup/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const HEADERS = {
  // the page talks only to its own origin's /graphql and runs no inline script
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // a resident's token may sit in the page's URL (?token=); it must not travel on as a referrer
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** Answers the lookup page's paths; false for every other path. */
export function serveLookup(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const pathname = (req.url ?? '').split('?')[0];
  const entry = Object.hasOwn(FILES, pathname) ? FILES[pathname] : undefined;
  if (!entry) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
    return true;
  }
  let body: Buffer;
  try {
    body = fs.readFileSync(path.join(PAGE_DIR, entry.file));
  } catch {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('the lookup page is missing from this build');
    return true;
  }
  res.writeHead(200, { ...HEADERS, 'content-type': entry.type, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
