import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { addManualEvidence } from '../../pipeline/manual-evidence.js';
import { loadFramework, normalizeControlId } from '../../frameworks/framework.js';
import { systemClock } from '../../core/clock.js';
import { Redactor } from '../../core/redact.js';
import { openEvidenceStore } from '../../../storage/open-store.js';
import { loadConfig, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';

export interface EvidenceAddOptions extends GlobalOptions {
  control?: string[];
  clause?: string[];
  file: string;
  effective: string;
  expires?: string;
  note?: string;
  by?: string;
}

/** `annexa evidence add`: store a policy, minutes or report as evidence for controls or clauses. */
export async function evidenceAddCommand(options: EvidenceAddOptions, io: CliIO, command: string): Promise<number> {
  const config = loadConfig(options, io, new Redactor(), true);
  const { catalog } = loadFramework();
  const store = await openEvidenceStore(config.store);
  try {
    const { run, payload } = await addManualEvidence({
      store,
      catalog,
      file: resolve(io.cwd, options.file),
      requirements: [...(options.control ?? []).map(normalizeControlId), ...(options.clause ?? [])],
      effective: options.effective,
      expires: options.expires,
      note: options.note,
      addedBy: options.by ?? io.env.ANNEXA_USER ?? safeUser(),
      clock: systemClock,
      command,
    });
    io.stdout(
      options.json
        ? json({ run, evidence: payload })
        : `Added ${payload.fileName} (${payload.size} bytes, sha256 ${payload.sha256}) as evidence for ${payload.requirements.join(', ')}, ` +
            `effective ${payload.effective}${payload.expires ? `, expires ${payload.expires}` : ''}; run ${run.id}.\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
