import fs from 'node:fs';
import Handlebars from 'handlebars';

const VIEWS = new URL('./views/', import.meta.url);

/**
 * Handlebars templates, compiled once: `{{x}}` escapes every value, and `{{json x}}` is
 * JSON for a data- attribute, escaped the same way (the browser unescapes it).
 */
export function createRenderer(): (view: string, data: Record<string, unknown>) => string {
  const hb = Handlebars.create();
  hb.registerHelper('json', (x: unknown) => JSON.stringify(x ?? null));
  hb.registerHelper('query', (base: Record<string, string>, key: string, value: unknown) =>
    new URLSearchParams({ ...base, [key]: String(value) }).toString());
  const layout = hb.compile(fs.readFileSync(new URL('layout.hbs', VIEWS), 'utf8'));
  const views = new Map<string, HandlebarsTemplateDelegate>();
  for (const f of fs.readdirSync(VIEWS)) {
    if (f.endsWith('.hbs') && f !== 'layout.hbs') views.set(f.slice(0, -4), hb.compile(fs.readFileSync(new URL(f, VIEWS), 'utf8')));
  }
  return (view, data) => {
    const t = views.get(view);
    if (!t) throw new Error(`no view ${view}`);
    return layout({ ...data, body: new hb.SafeString(t(data)) });
  };
}
