/** A self-contained HTML page (no scripts, no CDN) generated from the OpenAPI document. */

interface Doc {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const json = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;

const typeOf = (schema: unknown): string => {
  const s = schema as { type?: string; enum?: unknown[]; $ref?: string } | undefined;
  if (!s) return '';
  if (s.$ref) return s.$ref.split('/').pop()!;
  if (s.enum) return s.enum.join(' | ');
  return s.type ?? 'object';
};

/**
 * A path for the sidebar, whole, with a line-break opportunity after each `/`: the run routes
 * differ only in their last segments (`.../runs/{runNumber}/logs/stream`), which a narrow
 * sidebar must not cut off.
 */
const breakablePath = (path: string) => `<code>${path.split('/').map(esc).join('/<wbr>')}</code>`;

function operationHtml(path: string, method: string, op: Operation): string {
  const params = op.parameters?.length
    ? `<table><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>${op.parameters
        .map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${esc(typeOf(p.schema))}</td><td>${p.required ? 'yes' : ''}</td><td>${esc(p.description)}</td></tr>`)
        .join('')}</table>`
    : '';
  const body = op.requestBody?.content
    ? Object.entries(op.requestBody.content).map(([type, c]) => `<details><summary>Body: ${esc(type)}</summary>${json(c.schema)}</details>`).join('')
    : '';
  const responses = Object.entries(op.responses ?? {})
    .map(([code, r]) => {
      const content = Object.entries(r.content ?? {}).map(([type, c]) => `<details><summary>${esc(type)}</summary>${json(c.schema)}</details>`).join('');
      return `<li><b>${esc(code)}</b> ${esc(r.description)}${content}</li>`;
    })
    .join('');
  return `<section class="op" id="${esc(op.operationId)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code> ${esc(op.summary)}</h3>
${op.description ? `<p>${esc(op.description).replace(/\n\n/g, '</p><p>')}</p>` : ''}
${params}${body}<ul>${responses}</ul></section>`;
}

export function docsPage(document: unknown): string {
  const doc = document as Doc;
  const byTag = new Map<string, string[]>();
  const index: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags?.[0] ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(operationHtml(path, method, op));
      index.push(`<li><a href="#${esc(op.operationId)}" title="${esc(method.toUpperCase())} ${esc(path)}"><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> ${breakablePath(path)}</a></li>`);
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(([name, s]) => `<details id="schema-${esc(name)}"><summary>${esc(name)}</summary>${json(s)}</details>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;display:flex}
nav{width:22rem;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f4f6;padding:1rem;box-sizing:border-box;font-size:13px}
nav ul{list-style:none;padding:0}nav li{margin:.3rem 0;padding-left:5em;text-indent:-5em}nav a{overflow-wrap:anywhere}nav .m{font-size:10px;min-width:4em;text-indent:0;text-align:center}main{padding:1rem 2rem;max-width:60rem}
.op{border-top:1px solid #ddd;padding:.5rem 0}.m{display:inline-block;min-width:4.5em;font-size:12px;padding:2px 6px;border-radius:3px;color:#fff;background:#555}
.get{background:#2a7}.post{background:#27a}.patch{background:#a72}.delete{background:#a33}
pre{background:#f7f7f9;padding:.5rem;overflow:auto;font-size:12px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
</style></head><body>
<nav><b>${esc(doc.info.title)} ${esc(doc.info.version)}</b><ul>${index.join('')}</ul><p><a href="/openapi.json">openapi.json</a></p></nav>
<main><h1>${esc(doc.info.title)}</h1><p>${esc(doc.info.description)}</p>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code> on every call but health, readiness and these docs.</p>
${[...byTag].map(([tag, ops]) => `<h2>${esc(tag)}</h2>${ops.join('')}`).join('')}
<h2>Schemas</h2>${schemas}
</main></body></html>`;
}
