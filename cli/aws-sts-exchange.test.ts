import { describe, expect, it } from 'vitest';
import { stsEndpoint } from './aws-sts-exchange.ts';
import { xmlElement } from './token-http.ts';

describe('AWS STS for oidcExchangeToken', () => {
  it('is reached where the AWS SDKs would: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else the regional endpoint', () => {
    expect(stsEndpoint('eu-west-3', {})).toBe('https://sts.eu-west-3.amazonaws.com');
    expect(stsEndpoint('eu-west-3', { AWS_ENDPOINT_URL: 'https://proxy.internal' })).toBe(
      'https://proxy.internal',
    );
    expect(
      stsEndpoint('eu-west-3', {
        AWS_ENDPOINT_URL: 'https://proxy.internal',
        AWS_ENDPOINT_URL_STS: 'https://vpce-1.sts.eu-west-3.vpce.amazonaws.com',
      }),
    ).toBe('https://vpce-1.sts.eu-west-3.vpce.amazonaws.com');
  });

  it("reads an answer's elements with their entities decoded", () => {
    const xml =
      '<Credentials><SessionToken>a&amp;b&lt;c</SessionToken><AccessKeyId>ASIA</AccessKeyId></Credentials>';
    expect(xmlElement(xml, 'SessionToken')).toBe('a&b<c');
    expect(xmlElement(xml, 'AccessKeyId')).toBe('ASIA');
    expect(xmlElement(xml, 'Expiration')).toBeUndefined();
  });
});
