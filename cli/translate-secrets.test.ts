// `switchyard translate` as users run it (a child process) on manifests holding every kind of secret Switchyard
// reads: no secret value, nor its base64, nor a line of a private key, appears in anything it prints, in any output
// format or --show, while what is no secret (certificates, the config around the secrets) is still shown.
import { describe, expect, it } from 'vitest';
import { secretFixture } from './testdata/secret-fixture.ts';
import { spawnCli } from './testdata/spawn-cli.ts';

const fixture = secretFixture();

/** The forms a secret could be printed in: itself, its base64, each of its lines (a PEM key's). */
function forms(secret: string): string[] {
  const lines = secret
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length >= 16);
  return [secret.trim(), Buffer.from(secret).toString('base64'), ...lines];
}

describe('switchyard translate never prints a secret', () => {
  it.each([
    ['yaml', 'all'],
    ['json', 'all'],
    ['yaml', 'xds'],
    ['yaml', 'ir'],
  ])('-o %s --show %s', async (output, show) => {
    const { code, stdout, stderr } = await spawnCli([
      'translate',
      '-f',
      fixture.dir,
      '-o',
      output,
      '--show',
      show,
    ]);
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(/^translate: \d+ accepted, 0 rejected, 0 ignored$/);
    expect(code).toBe(0);
    for (const [what, secret] of Object.entries(fixture.secrets))
      for (const form of forms(secret))
        expect(stdout + stderr, `${what} shown as ${form}`).not.toContain(form);
    expect(stdout + stderr).not.toContain('PRIVATE KEY');
    expect(stdout).toContain('[REDACTED]');
  });

  it('still shows where each secret is, and what is no secret', async () => {
    const { stdout } = await spawnCli(['translate', '-f', fixture.dir, '-o', 'json', '--show', 'xds']);
    const [envoy, agentgateway] = JSON.parse(stdout) as {
      resources: Record<string, Record<string, unknown>>;
    }[];
    const secrets = envoy?.resources.secrets as Record<
      string,
      { genericSecret?: unknown; tlsCertificate?: unknown }
    >;
    expect(secrets['oauth2/apps/login/hmac']?.genericSecret).toEqual({
      secret: { inlineString: '[REDACTED]' },
    });
    expect(secrets['oauth2/apps/login/client-secret']?.genericSecret).toEqual({
      secret: { inlineString: '[REDACTED]' },
    });
    const listenerCertificate = Object.values(secrets).find((secret) => secret.tlsCertificate !== undefined)
      ?.tlsCertificate as {
      certificateChain: { inlineString: string };
      privateKey: { inlineString: string };
    };
    expect(listenerCertificate.certificateChain.inlineString).toContain('-----BEGIN CERTIFICATE-----');
    expect(listenerCertificate.privateKey).toEqual({ inlineString: '[REDACTED: private key]' });
    const routes = JSON.stringify(envoy?.resources.routeConfigurations);
    expect(routes).toContain('"users":{"inlineString":"[REDACTED]"}');
    expect(routes).toContain('"credentials":[{"client":"client-1","key":"[REDACTED]"}]');
    expect(JSON.stringify(agentgateway?.resources.backends)).toContain('"secret":"[REDACTED]"');
    const policies = JSON.stringify(agentgateway?.resources);
    expect(policies).toContain('"htpasswdContent":"[REDACTED]"');
    expect(policies).toContain('"apiKeys":[{"key":"[REDACTED]"');
  });
});
