import { resolve } from 'node:path';
import { generateSigningKeys } from '../../bundle/signing.js';
import type { CliIO, GlobalOptions } from '../runtime.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';

/** `annexa keys generate --out annexa-signing`: an Ed25519 key pair for signing bundles. */
export async function keysGenerateCommand(options: GlobalOptions & { out: string }, io: CliIO): Promise<number> {
  const keys = generateSigningKeys(resolve(io.cwd, options.out));
  io.stdout(
    options.json
      ? json(keys)
      : `Private key: ${keys.privateKeyFile} (mode 0600; pass it to \`annexa bundle --key\`, keep it out of backups you share)\n` +
          `Public key:  ${keys.publicKeyFile} (give it to the auditor, separately from the bundle)\n` +
          `Fingerprint: ${keys.fingerprint}\n`,
  );
  return exitCodes.ok;
}
