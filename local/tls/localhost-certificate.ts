/**
 * The local stack's TLS identity: the Face Liveness component only speaks `wss:`, so the streaming endpoint needs a
 * certificate for localhost. Generated once with `selfsigned` and kept under `<dataDir>/tls/`, so a browser or a
 * client that trusted it once keeps trusting it across restarts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface LocalhostCertificate {
  /** PEM private key. */
  key: string;
  /** PEM certificate; self-signed, so it is also the CA a client must trust. */
  cert: string;
  certPath: string;
}

const KEY_FILE = 'localhost-key.pem';
const CERT_FILE = 'localhost-cert.pem';
/** Regenerate when less than this remains, so a kept certificate never expires under a running stack. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

/** Loads the certificate under `<dataDir>/tls/`, creating (or renewing) it when missing, unreadable or near expiry. */
export async function loadLocalhostCertificate(dataDir: string): Promise<LocalhostCertificate> {
  const dir = path.join(dataDir, 'tls');
  const keyPath = path.join(dir, KEY_FILE);
  const certPath = path.join(dir, CERT_FILE);
  const existing = await readUsable(keyPath, certPath);
  if (existing) return existing;

  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 825 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  await mkdir(dir, { recursive: true });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert);
  return { key: pems.private, cert: pems.cert, certPath };
}

async function readUsable(keyPath: string, certPath: string): Promise<LocalhostCertificate | undefined> {
  try {
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    const parsed = new X509Certificate(cert);
    if (Date.parse(parsed.validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
    if (!parsed.checkHost('localhost') || !parsed.checkIP('127.0.0.1')) return undefined;
    return { key, cert, certPath };
  } catch {
    return undefined;
  }
}
