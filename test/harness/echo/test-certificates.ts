// A throwaway certificate authority and a server certificate signed by it, made with openssl at test
// time (nothing secret is kept in the repo). EC P-256 keys keep generation fast.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../provision/cache.ts';

export interface TestCertificates {
  /** PEM of the CA that signed `cert`: give it to clients (and to Envoy) as the trust anchor. */
  caCert: string;
  cert: string;
  key: string;
}

/**
 * A server certificate for the given DNS names and IP addresses (the first one is also the CN); with
 * `usage: 'client'` a client certificate instead (extendedKeyUsage clientAuth), for mutual TLS.
 */
export async function createTestCertificates(
  names: readonly string[],
  options: { readonly usage?: 'server' | 'client' } = {},
): Promise<TestCertificates> {
  if (names.length === 0) throw new Error('createTestCertificates needs at least one name');
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-certs-'));
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await openssl([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=switchyard test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await openssl([
      'req',
      ...ec,
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
      '-subj',
      `/CN=${names[0]}`,
    ]);
    const altNames = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
    await writeFile(
      file('server.ext'),
      `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=${options.usage === 'client' ? 'clientAuth' : 'serverAuth'}\n`,
    );
    await openssl([
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('server.crt'),
      '-days',
      '2',
      '-extfile',
      file('server.ext'),
    ]);
    const [caCert, cert, key] = await Promise.all(
      ['ca.crt', 'server.crt', 'server.key'].map((name) => readFile(file(name), 'utf8')),
    );
    return { caCert: caCert!, cert: cert!, key: key! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function openssl(args: readonly string[]): Promise<void> {
  const result = await runCommand('openssl', args);
  if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.trim()}`);
}
