const secretParams = /^(access_token|token|api_key|apikey|key|sig|signature|client_secret|code|password)$/i;

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
  for (const name of [...url.searchParams.keys()]) {
    if (secretParams.test(name)) url.searchParams.set(name, 'REDACTED');
  }
  return url.href;
}
