// A readable docs page rendered from the same OpenAPI document the API serves: no scripts, no CDN.

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"]/g,
    (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[character] as string,
  );

export function docsPage(document: Record<string, unknown>): string {
  const info = document.info as { title: string; description: string };
  const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
  const sections = Object.entries(paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => {
      const body = (
        operation.requestBody as { content: { 'application/json': { schema: unknown } } } | undefined
      )?.content['application/json'].schema;
      return `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2>
<p>${escapeHtml(String(operation.summary))}</p>
<p class="roles">${escapeHtml(String(operation.description ?? 'Public'))}</p>
${body === undefined ? '' : `<details><summary>Request body</summary><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre></details>`}
</section>`;
    }),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:920px;margin:2rem auto;padding:0 1rem;color:#1f2328}
section{border-top:1px solid #d0d7de;padding:.5rem 0}h2{font-size:1rem;margin:.5rem 0}pre{background:#f6f8fa;padding:.75rem;overflow:auto}
.roles{color:#57606a;font-size:.9em}</style></head>
<body><h1>${escapeHtml(info.title)}</h1><p>${escapeHtml(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3). Errors are <code>{"code","message"}</code>.</p>
${sections.join('\n')}
</body></html>`;
}
