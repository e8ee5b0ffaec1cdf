import { z } from 'zod';
import { connectorRegistry } from '../../registry.js';
import type { CliIO, GlobalOptions } from '../runtime.js';
import { json } from '../table.js';

/** `annexa connectors`: every connector type, its collectors and the read-only permissions it needs. */
export async function connectorsCommand(options: GlobalOptions, io: CliIO): Promise<number> {
  const described = connectorRegistry.map((c) => ({
    type: c.type,
    title: c.title,
    description: c.description,
    permissions: c.permissions,
    collectors: c.collectors.map((k) => ({
      id: k.id,
      kind: k.kind,
      title: k.title,
      subject: k.subject,
      ttlHours: k.ttlHours,
      // The payload's JSON Schema, with each field's description: the auditor's data dictionary.
      payloadSchema: options.json ? z.toJSONSchema(k.payload) : undefined,
    })),
  }));
  if (options.json) {
    io.stdout(json(described));
    return 0;
  }
  for (const c of described) {
    io.stdout(`${c.type} — ${c.title}\n  ${c.description}\n  Permissions (read-only):\n`);
    for (const p of c.permissions) io.stdout(`    - ${p.grant}  (${p.reason})\n`);
    io.stdout('  Collectors:\n');
    for (const k of c.collectors) io.stdout(`    - ${k.id}: ${k.kind} — ${k.title} (subject: ${k.subject}; fresh for ${k.ttlHours} h)\n`);
    io.stdout('\n');
  }
  return 0;
}
