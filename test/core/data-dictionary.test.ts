import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { connectorRegistry } from '../../src/registry.js';
import { manualEvidencePayload } from '../../src/pipeline/manual-evidence.js';

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; description?: string };

/** Paths of object properties without a description (the auditor's data dictionary must be complete). */
function undescribed(schema: JsonSchema, path: string): string[] {
  const missing: string[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const described = property.description ?? property.anyOf?.find((s) => s.description)?.description;
    if (!described) missing.push(`${path}.${name}`);
    missing.push(...nested(property, `${path}.${name}`));
  }
  return missing;
}

function nested(schema: JsonSchema, path: string): string[] {
  const out: string[] = [];
  if (schema.properties) out.push(...undescribed(schema, path));
  if (schema.items) out.push(...nested(schema.items, `${path}[]`));
  for (const branch of schema.anyOf ?? []) out.push(...nested(branch, path));
  return out;
}

describe('evidence payload data dictionary', () => {
  const collectors = connectorRegistry.flatMap((c) => c.collectors.map((k) => [k.kind, k.payload] as const));

  it.each(collectors)('%s describes every field', (_kind, payload) => {
    expect(undescribed(z.toJSONSchema(payload) as JsonSchema, '')).toEqual([]);
  });

  it('manual.document.v1 describes every field', () => {
    expect(undescribed(z.toJSONSchema(manualEvidencePayload) as JsonSchema, '')).toEqual([]);
  });

  it('the completeness test itself catches an undescribed nested field', () => {
    const sample = z.object({ a: z.string().describe('A.'), b: z.array(z.object({ c: z.number() })).describe('B.') });
    expect(undescribed(z.toJSONSchema(sample) as JsonSchema, '')).toEqual(['.b[].c']);
  });

  it('evidence kinds are versioned and unique', () => {
    const kinds = collectors.map(([kind]) => kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const kind of kinds) expect(kind).toMatch(/^[a-z0-9]+(\.[a-z0-9_]+)+\.v\d+$/);
  });
});
