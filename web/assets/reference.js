// The API reference: fetch the OpenAPI document the server serves and list every
// operation with its parameters, request body and answers. Text only (no innerHTML):
// the document's strings are shown, never run.

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const statusLine = document.getElementById('reference-status');
const root = document.getElementById('reference');

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

// resolve follows a local $ref ("#/components/…") to what it names.
function resolve(doc, v, depth = 0) {
  if (!v || typeof v !== 'object' || typeof v.$ref !== 'string' || depth > 20) return v;
  let out = doc;
  for (const part of v.$ref.replace(/^#\//, '').split('/')) {
    out = out?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return resolve(doc, out, depth + 1);
}

const SCHEMA_PREFIX = '#/components/schemas/';

// schemaLink links to a shared schema, listed once at the end of the page.
function schemaLink(ref) {
  const name = ref.slice(SCHEMA_PREFIX.length);
  const a = el('a');
  a.href = `#schema-${name}`;
  a.append(el('code', name));
  return a;
}

// schemaView shows a schema: a link when it is a shared one, else its JSON.
function schemaView(schema) {
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith(SCHEMA_PREFIX)) {
    const p = el('p', 'Schema: ');
    p.append(schemaLink(schema.$ref));
    return [p];
  }
  return [el('h5', 'Schema'), code(schema)];
}

function code(value) {
  const pre = el('pre');
  pre.append(el('code', JSON.stringify(value, null, 2)));
  return pre;
}

// inline appends text to parent, `code` as <code> and **this** as <strong>: the little
// Markdown the document's descriptions use.
function inline(parent, text) {
  text.split(/(`[^`]*`|\*\*[^*]+\*\*)/).forEach((part) => {
    if (part.startsWith('`') && part.endsWith('`') && part.length > 1) parent.append(el('code', part.slice(1, -1)));
    else if (part.startsWith('**') && part.endsWith('**') && part.length > 3) parent.append(el('strong', part.slice(2, -2)));
    else if (part) parent.append(part);
  });
  return parent;
}

// description is a description's paragraphs (blank-line separated).
function description(text) {
  const div = el('div', null, 'description');
  for (const para of text.split(/\n\s*\n/)) {
    if (para.trim()) div.append(inline(el('p'), para.replace(/\s*\n\s*/g, ' ').trim()));
  }
  return div;
}

function content(doc, parent, media) {
  for (const [type, m] of Object.entries(media || {})) {
    parent.appendChild(el('p')).append(el('code', type));
    if (m.schema) parent.append(...schemaView(m.schema));
    const examples = m.example !== undefined ? [m.example] : Object.values(m.examples || {}).map((x) => resolve(doc, x).value);
    for (const ex of examples) {
      parent.append(el('h5', 'Example'), code(ex));
    }
  }
}

function operation(doc, path, method, op) {
  const id = `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const section = el('section', null, 'operation');
  section.setAttribute('aria-labelledby', id);
  const h = el('h3');
  h.id = id;
  h.append(el('span', method.toUpperCase(), 'method'), ` ${path}`);
  section.append(h);
  if (op.summary) section.append(inline(el('p'), op.summary));
  if (op.description) section.append(description(op.description));

  const security = (op.security || doc.security || []).map((req) => Object.keys(req)).filter((k) => k.length);
  if (security.length) {
    const p = el('p', 'Needs: ');
    p.append(el('code', security.map((k) => k.join(' + ')).join(' or ')));
    section.append(p);
  }

  const params = (op.parameters || []).map((p) => resolve(doc, p));
  if (params.length) {
    section.append(el('h4', 'Parameters'));
    const ul = el('ul');
    for (const p of params) {
      const li = el('li');
      li.append(el('code', p.name), ` (in ${p.in}${p.required ? ', required' : ''})`);
      if (p.description) inline(li, `: ${p.description}`);
      ul.append(li);
    }
    section.append(ul);
  }

  const body = resolve(doc, op.requestBody);
  if (body) {
    section.append(el('h4', 'Request body'));
    content(doc, section, body.content);
  }

  section.append(el('h4', 'Responses'));
  const dl = el('dl');
  for (const [status, r] of Object.entries(op.responses || {})) {
    const res = resolve(doc, r);
    dl.appendChild(el('dt')).append(el('code', status));
    const dd = el('dd');
    dd.append(description(res.description || ''));
    const headers = Object.keys(res.headers || {});
    if (headers.length) {
      const p = el('p', 'Headers: ');
      headers.forEach((name, i) => p.append(i ? ', ' : '', el('code', name)));
      dd.append(p);
    }
    content(doc, dd, res.content);
    dl.append(dd);
  }
  section.append(dl);
  return { id, section };
}

async function main() {
  let doc;
  try {
    const res = await fetch('/api/openapi.json', { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`status ${res.status}`);
    doc = await res.json();
  } catch (err) {
    statusLine.textContent = `The document could not be loaded (${err.message}).`;
    return;
  }
  const intro = el('section');
  intro.append(el('h2', `${doc.info.title} ${doc.info.version}, OpenAPI ${doc.openapi}`), description(doc.info.description || ''));
  root.append(intro);

  const tocList = document.getElementById('reference-toc-list');
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const tag = (item[method].tags || ['other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, item[method]]);
    }
  }
  let count = 0;
  for (const [tag, ops] of byTag) {
    const t = (doc.tags || []).find((x) => x.name === tag);
    const group = el('section');
    group.append(el('h2', tag));
    if (t?.description) group.append(el('p', t.description));
    for (const [path, method, op] of ops) {
      const { id, section } = operation(doc, path, method, op);
      group.append(section);
      const a = el('a');
      a.href = `#${id}`;
      a.append(el('code', `${method.toUpperCase()} ${path}`));
      tocList.appendChild(el('li')).append(a);
      count++;
    }
    root.append(group);
  }
  const schemas = el('section');
  schemas.append(el('h2', 'Schemas'));
  for (const [name, schema] of Object.entries(doc.components?.schemas || {})) {
    const h = el('h3', name);
    h.id = `schema-${name}`;
    schemas.append(h, code(schema));
  }
  root.append(schemas);
  document.getElementById('reference-toc').hidden = false;
  statusLine.textContent = `${count} operations.`;
}

main();
