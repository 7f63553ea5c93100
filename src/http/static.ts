// The web console: the files Vite builds into web/dist, served by the API's own server. Unknown page
// paths answer index.html (the console routes in the browser); a missing asset is a 404 in the API's
// error shape; API paths are never answered with a page.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Paths that belong to the API: an unknown one is the API's 404, never the console's page. */
const apiPrefixes = ['/v1', '/openapi.json', '/docs'];
const isApiPath = (path: string): boolean =>
  apiPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

/** The console's files are small; one larger than this is not ours and is not read into memory. */
const fileBytesMax = 8 * 1024 * 1024;
/** Vite puts content-hashed files under /assets/: they never change, so browsers keep them. */
const immutableCache = 'public, max-age=31536000, immutable';

const notBuiltPage = `<!doctype html>
<html lang="zh-CN"><meta charset="utf-8"><title>poolpoint</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.6">
<h1>poolpoint</h1>
<p>控制台尚未构建：请运行 <code>npm run build:web</code>，然后刷新本页。</p>
<p>The web console is not built yet: run <code>npm run build:web</code>, then reload this page.</p>
<p>API: <a href="/docs">/docs</a> · <a href="/openapi.json">/openapi.json</a></p>
</body></html>
`;

/** A file of the folder, or null; a path that leaves the folder (`..`) is never read. */
async function fileOf(folder: string, urlPath: string): Promise<Buffer | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const path = normalize(join(folder, decoded));
  if (path !== folder && !path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`)) return null;
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > fileBytesMax) return null;
    return await readFile(path);
  } catch {
    return null;
  }
}

/** A request for a file (an asset) rather than a page of the console. */
const isAssetPath = (path: string): boolean =>
  path.startsWith('/assets/') || contentTypes[extname(path).toLowerCase()] !== undefined;

export function registerConsole(app: FastifyInstance, folder: string): void {
  const root = normalize(folder);
  const serve = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const path = request.url.split('?')[0] ?? '/';
    reply.header('x-content-type-options', 'nosniff');
    if (isApiPath(path)) {
      return reply
        .code(404)
        .send({ code: 'not_found', message: `no route ${request.method} ${request.url}` });
    }
    if (path !== '/' && isAssetPath(path)) {
      const file = await fileOf(root, path);
      if (file === null) {
        return reply.code(404).send({ code: 'not_found', message: `no file ${path} in the web console` });
      }
      if (path.startsWith('/assets/')) reply.header('cache-control', immutableCache);
      return reply.type(contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream').send(file);
    }
    const page = await fileOf(root, '/index.html');
    if (page === null) return reply.code(503).type('text/html; charset=utf-8').send(notBuiltPage);
    return reply
      .header('cache-control', 'no-cache')
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'DENY')
      .type('text/html; charset=utf-8')
      .send(page);
  };
  app.get('/', serve);
  app.get('/*', serve);
}
