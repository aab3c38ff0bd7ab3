import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.js';

/**
 * Where requests go, as the HTTP client needs it: an origin without credentials, the base path,
 * and the credentials of the URL (`http://user:key@host`) turned into an Authorization header, so
 * that they are sent but never printed or written: every place that shows the URL shows
 * `display`.
 */
export interface Target {
  origin: string;
  /** Path prefix of the URL, without a trailing slash ('' for none). */
  basePath: string;
  /** The URL with its credentials removed: the only form that is logged or written. */
  display: string;
  /** `Basic ...` from credentials in the URL. */
  authorization?: string;
  tls: boolean;
}

export function parseTarget(url: string): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--url ${redactUrl(url)}: not a URL (e.g. http://127.0.0.1:8000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UserError(`--url ${redactUrl(url)}: must be http or https`);
  let authorization: string | undefined;
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  return {
    origin: u.origin,
    basePath: u.pathname.replace(/\/+$/, ''),
    display: redactUrl(url),
    authorization,
    tls: u.protocol === 'https:',
  };
}

/** The URL without user and password; text that is not a URL loses anything that looks like them. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url.replace(/\/+$/, '');
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//');
  }
}

/** Replaces every credential-bearing URL in free text (error messages, logs) by its redacted form. */
export function redactText(text: string): string {
  return text.replace(/\b(https?:\/\/)[^/@\s]+@/g, '$1');
}

export interface TlsSettings {
  /** PEM file of the certificate authority that signed the server's certificate. */
  caCert?: string;
  /** Accept any server certificate (self-signed, wrong host): encryption without authentication. */
  insecure: boolean;
}

/** undici's `connect` options for https targets. */
export async function tlsConnectOptions(
  t: TlsSettings,
): Promise<{ ca?: string; rejectUnauthorized?: boolean } | undefined> {
  if (!t.caCert && !t.insecure) return undefined;
  const out: { ca?: string; rejectUnauthorized?: boolean } = {};
  if (t.caCert) {
    try {
      out.ca = await readFile(t.caCert, 'utf8');
    } catch (err) {
      throw new UserError(`--ca-cert ${t.caCert}: cannot read it (${(err as NodeJS.ErrnoException).code})`);
    }
    if (!out.ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new UserError(`--ca-cert ${t.caCert}: not a PEM certificate (no BEGIN CERTIFICATE line)`);
  }
  if (t.insecure) out.rejectUnauthorized = false;
  return out;
}
