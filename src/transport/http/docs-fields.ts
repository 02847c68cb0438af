/**
 * A JSON Schema as a person reads it on /docs: one table row per field, nested fields named by
 * their path (`receipt.messages[].seq`), with its type, whether it is required, what it is and
 * its limits. Fields the domain checks instead of the schema carry the annotations of
 * DOC_KEYWORDS (schemas.ts): `x-type`, `x-required`, `x-limits`.
 */
import { escapeHtml } from './page-response.js';

export interface Schema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  'x-type'?: string;
  'x-required'?: boolean;
  'x-limits'?: string;
}

export interface FieldRow {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly description: string;
  readonly limits: string;
}

function typeOf(schema: Schema): string {
  if (schema['x-type'] !== undefined) return schema['x-type'];
  if (schema.anyOf !== undefined) return schema.anyOf.map(typeOf).join(' or ');
  const types = [schema.type ?? []].flat();
  if (types.length === 0) return schema.properties ? 'object' : 'any JSON';
  return types.map((type) => (type === 'array' && schema.items ? `array of ${typeOf(schema.items)}` : type)).join(' or ');
}

function range(min: number | undefined, max: number | undefined, unit: string): string | undefined {
  if (min === undefined && max === undefined) return undefined;
  if (max === undefined) return `at least ${min}${unit}`;
  if (min === undefined) return `at most ${max}${unit}`;
  return min === max ? `exactly ${min}${unit}` : `${min}-${max}${unit}`;
}

function limitsOf(schema: Schema): string {
  return [
    schema.enum === undefined ? undefined : `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`,
    schema.const === undefined ? undefined : `always ${JSON.stringify(schema.const)}`,
    range(schema.minLength, schema.maxLength, ' characters'),
    range(schema.minimum, schema.maximum, ''),
    range(schema.minItems, schema.maxItems, ' items'),
    schema.pattern === undefined ? undefined : `matches ${schema.pattern}`,
    schema.format,
    schema['x-limits'],
  ]
    .filter((part) => part !== undefined)
    .join('; ');
}

/** The rows of an object schema's fields, nested ones after their parent. */
export function fieldRows(schema: Schema, prefix = ''): FieldRow[] {
  const rows: FieldRow[] = [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = prefix + name;
    const required = (schema.required ?? []).includes(name) || field['x-required'] === true;
    rows.push({ name: path, type: typeOf(field), required, description: field.description ?? '', limits: limitsOf(field) });
    rows.push(...nestedRows(field, path));
  }
  return rows;
}

function nestedRows(field: Schema, path: string): FieldRow[] {
  if (field.items !== undefined) return nestedRows(field.items, `${path}[]`);
  return (field.anyOf ?? [field]).flatMap((shape) => (shape.properties ? fieldRows(shape, `${path}.`) : []));
}

/** The rows as a table that scrolls inside itself on a narrow screen; '' when there are none. */
export function fieldTable(rows: readonly FieldRow[], caption: string): string {
  if (rows.length === 0) return '';
  const body = rows
    .map((row) =>
      `<tr><td><code>${escapeHtml(row.name)}</code></td><td>${escapeHtml(row.type)}</td><td>${row.required ? 'yes' : 'no'}</td>` +
        `<td>${escapeHtml(row.description)}</td><td>${escapeHtml(row.limits)}</td></tr>`)
    .join('\n');
  return `<div class="scroll"><table class="fields">
<caption>${escapeHtml(caption)}</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Description</th><th scope="col">Limits</th></tr></thead>
<tbody>
${body}
</tbody>
</table></div>`;
}
