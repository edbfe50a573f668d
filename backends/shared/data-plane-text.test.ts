import { describe, expect, it } from 'vitest';
import { REDACTED, REDACTED_KEY, secretValuesIn } from '../../model/shared/secret-fields.ts';
import { MAX_DATA_PLANE_TEXT, shownDataPlaneText } from './data-plane-text.ts';

// What Envoy 1.40 NACKed a route configuration with (test/envoy/refusal-search.test.ts): the per-route message it
// refused, printed in protobuf's debug format, then its reason. The marker after `goo.gle/` changes between runs.
const envoyNack = (marker: string) =>
  `${marker}    \ncredentials {\n  key: "k3y-of-the-payroll-team"\n  client: "payroll"\n}\nkey_sources {\n  header: "x-api\\nkey"\n}\n: Proto constraint validation failed (ApiKeyAuthPerRouteValidationError.KeySources[0]: embedded message failed validation | caused by KeySourceValidationError.Header: value does not match regex pattern "^[^\\x00\\n\\r]*$")`;

describe('shownDataPlaneText', () => {
  it.each(['goo.gle/debugstr', 'goo.gle/debugonly', 'goo.gle/debugproto'])(
    'keeps Envoy’s reason and leaves out the message it quotes (%s)',
    (marker) => {
      const shown = shownDataPlaneText(`Error adding/updating listener(s) tcp/8080: ${envoyNack(marker)}`);
      expect(shown).toBe(
        'Error adding/updating listener(s) tcp/8080: Proto constraint validation failed (ApiKeyAuthPerRouteValidationError.KeySources[0]: embedded message failed validation | caused by KeySourceValidationError.Header: value does not match regex pattern "^[^\\x00\\n\\r]*$")',
      );
    },
  );

  it('leaves out every quoted message of a text naming several, and one that ends the text', () => {
    const two = `a: ${envoyNack('goo.gle/debugstr')}, b: ${envoyNack('goo.gle/debugonly')}`;
    const shown = shownDataPlaneText(two);
    expect(shown).not.toContain('k3y');
    expect(shown.match(/Proto constraint validation failed/g)).toHaveLength(2);
    expect(shownDataPlaneText('Unable to parse: goo.gle/debugstr \nkey: "k3y-of-the-payroll-team"\n')).toBe(
      'Unable to parse: (configuration not shown)',
    );
  });

  it('replaces the secret values of what was pushed, as written or escaped, and private keys', () => {
    const resource = {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute',
      users: { inlineString: 'alice:{SHA}abcdefghij=\nbob:{SHA}klmnopqrst=\n' },
    };
    const values = secretValuesIn(resource);
    expect(values).toContain('alice:{SHA}abcdefghij=');
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----';
    const shown = shownDataPlaneText(
      `users "alice:{SHA}abcdefghij=\\nbob:{SHA}klmnopqrst=\\n" refused; bob:{SHA}klmnopqrst= unknown; ${key} bad`,
      values,
    );
    expect(shown).toBe(`users "${REDACTED}\\n" refused; ${REDACTED} unknown; ${REDACTED_KEY} bad`);
  });

  it('cuts a text longer than a status message should hold', () => {
    const shown = shownDataPlaneText('x'.repeat(MAX_DATA_PLANE_TEXT + 10));
    expect(shown).toBe(`${'x'.repeat(MAX_DATA_PLANE_TEXT)}… (10 more characters)`);
  });
});
