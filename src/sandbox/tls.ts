import { nodeFetch } from '../http/node-fetch.js';
import { isLoopbackHost } from '../http/proxy.js';

/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost, for sandbox APIs whose real
 * clients insist on HTTPS (MSAL refuses an `http://` authority; the Graph SDK only attaches its
 * token to `https://` hosts). Public on purpose: it protects nothing and is trusted only by
 * {@link sandboxTrustingFetch}, never by the process as a whole.
 */
export const sandboxTls = {
  cert: `-----BEGIN CERTIFICATE-----
MIIBvTCCAWOgAwIBAgIUcC9611E503cIHH6R54cMyr4ukiIwCgYIKoZIzj0EAwIw
JTEjMCEGA1UEAwwaQW5uZXhhIHNhbmRib3ggKDEyNy4wLjAuMSkwIBcNMjYxMjAx
MDU0NzMxWhgPMjEyNjExMDcwNTQ3MzFaMCUxIzAhBgNVBAMMGkFubmV4YSBzYW5k
Ym94ICgxMjcuMC4wLjEpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEihqyu+Yh
6021Pwu9lUWZRW1iRHrlrQevXURHHMipDNE1NiX8zqi+3EpNg5kYR3gojCeBoZgf
3Kq6vUPfBWYzUKNvMG0wHQYDVR0OBBYEFPUBDwWCiSpK6NIAoVY8lQ0MCqldMB8G
A1UdIwQYMBaAFPUBDwWCiSpK6NIAoVY8lQ0MCqldMA8GA1UdEwEB/wQFMAMBAf8w
GgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxob3N0MAoGCCqGSM49BAMCA0gAMEUCIDJa
gQovn41vrlbxuA4oP+jBl6ImA5S06+WpP4QWOB7tAiEArQWQhg1n1pyFemnr2fRe
iWxrVW9/x4335kiG51YudVw=
-----END CERTIFICATE-----
`,
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKr9VP+UXrY30KvvP
CtLMS6DrjolCk1++vdFLRSlAnvGhRANCAASKGrK75iHrTbU/C72VRZlFbWJEeuWt
B69dREccyKkM0TU2JfzOqL7cSk2DmRhHeCiMJ4GhmB/cqrq9Q98FZjNQ
-----END PRIVATE KEY-----
`,
} as const;

/**
 * The transport for the demo and tests: `https://` requests to a loopback host are sent trusting
 * only {@link sandboxTls} (through {@link nodeFetch}); everything else goes to `fallback` (the
 * transport `annexa` itself uses).
 */
export function sandboxTrustingFetch(fallback: typeof fetch = nodeFetch()): typeof fetch {
  const trusting = nodeFetch({ ca: sandboxTls.cert });
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    // Everything but loopback HTTPS goes to the fallback untouched (its body not yet read).
    if (url.protocol !== 'https:' || !isLoopbackHost(url.hostname)) return fallback(input, init);
    return trusting(input, init);
  };
}
