// `sslpassword`: libpq's passphrase for the client key, also accepted in the URL.
const secretParams = /^(access_token|token|api_key|apikey|key|sig|signature|client_secret|code|password|sslpassword)$/i;

/**
 * A URL safe to keep as provenance or to log: no user-info, secret-looking query parameters masked.
 * Unparseable input is returned with the query dropped rather than risk keeping a secret.
 */
export function sanitizeUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return input.split('?')[0] ?? '';
  }
  url.username = '';
  url.password = '';
  maskSecretParams(url, 'REDACTED');
  return url.href;
}

/**
 * A database URL for messages: the user kept (it says which role connects), the password and
 * secret-looking query parameters (libpq also takes `?password=`) replaced by `***`.
 */
export function redactUrl(input: string): string {
  try {
    const url = new URL(input);
    if (url.password) url.password = '***';
    maskSecretParams(url, '***');
    return url.toString();
  } catch {
    return input.replace(/:[^:@/]*@/, ':***@').split('?')[0] ?? '';
  }
}

function maskSecretParams(url: URL, mask: string): void {
  for (const name of [...url.searchParams.keys()]) {
    if (secretParams.test(name)) url.searchParams.set(name, mask);
  }
}
