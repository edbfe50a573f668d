import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { McpConfigError, parseMcpProxyConfig } from './config.ts';

describe('the MCP proxy configuration', () => {
  it('reads routes, backends, selectors, credentials (inline and from files) and client authentication', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-config-'));
    writeFileSync(join(dir, 'key'), 'from-file\n');
    writeFileSync(
      join(dir, 'jwks.json'),
      JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] }),
    );
    const config = parseMcpProxyConfig(
      `
sessionIdleTimeoutSeconds: 60
routes:
  - name: ns/tools
    path: /tools
    backends:
      - name: github
        url: https://github.example/mcp
        endpoints: ["10.0.0.1:443", "[fd00::1]:443"]
        apiKey: { keyFile: key }
        toolSelector: { include: [a], excludeRegex: ["^b"] }
      - name: docs
        url: http://docs:8080/mcp
        apiKey: { key: inline, queryParam: api_key }
    authentication:
      jwt: { issuer: https://issuer, audiences: [aud], jwks: { jsonFile: jwks.json } }
      resourceMetadata: { resource: https://gw/tools, scopesSupported: [read] }
`,
      dir,
    );
    expect(config.sessionIdleTimeoutMs).toBe(60_000);
    expect(config.routeHeader).toBe('x-switchyard-mcp-route');
    const route = config.routes.get('ns/tools')!;
    expect(route.path).toBe('/tools');
    const github = route.backends.get('github')!;
    expect(github.url.host).toBe('github.example');
    expect(github.endpoints).toEqual(['10.0.0.1:443', '[fd00::1]:443']);
    expect(github.credential).toEqual({ key: 'from-file', header: 'Authorization', queryParam: undefined });
    expect(github.tools.allows('a')).toBe(true);
    expect(github.tools.allows('c')).toBe(false);
    expect(route.backends.get('docs')!.credential).toEqual({
      key: 'inline',
      header: undefined,
      queryParam: 'api_key',
    });
    expect(route.authentication?.jwks.keys?.keys).toHaveLength(1);
    expect(route.authentication?.audiences).toEqual(['aud']);
  });

  it.each([
    ['', 'config is empty'],
    ['routes: [{ name: r, backends: [] }]', 'routes[0].backends must name at least one backend'],
    [
      'routes: [{ name: r, backends: [{ name: a__b, url: "http://x/mcp" }] }]',
      "routes[0].backends[0].name 'a__b' must be",
    ],
    [
      'routes: [{ name: r, backends: [{ name: "a+b", url: "http://x/mcp" }] }]',
      "routes[0].backends[0].name 'a+b' must be",
    ],
    [
      'routes: [{ name: r, backends: [{ name: a, url: "ftp://x" }] }]',
      "routes[0].backends[0].url 'ftp://x' must be http or https",
    ],
    ['routes: [{ name: r, backends: [{ name: a, url: "not a url" }] }]', 'is not a URL'],
    [
      'routes: [{ name: r, backends: [{ name: a, url: "http://x", endpoints: [x] }] }]',
      "endpoints[0] 'x' must be host:port",
    ],
    [
      'routes: [{ name: r, backends: [{ name: a, url: "http://x", toolSelector: { includeRegex: ["("] } }] }]',
      "routes[0].backends[0].toolSelector: includeRegex[0] '(' is not a valid regular expression",
    ],
    [
      'routes: [{ name: r, backends: [{ name: a, url: "http://x", apiKey: { key: k, header: h, queryParam: q } }] }]',
      'set header or queryParam, not both',
    ],
    ['routes: [{ name: r, backends: [{ name: a, url: "http://x", apiKey: {} }] }]', 'set key or keyFile'],
    [
      'routes: [{ name: r, backends: [{ name: a, url: "http://x" }, { name: a, url: "http://y" }] }]',
      "routes[0].backends[1].name 'a' is used twice",
    ],
    [
      'routes: [{ name: r, backends: [{ name: a, url: "http://x" }], authentication: { jwt: { issuer: i, jwks: {} }, resourceMetadata: { resource: "https://r" } } }]',
      'routes[0].authentication.jwt.jwks: set exactly one of uri, json or jsonFile',
    ],
    ['sessionIdleTimeoutSeconds: 0', 'config.sessionIdleTimeoutSeconds must be a positive number'],
  ])('refuses %j naming the field', (text, message) => {
    expect(() => parseMcpProxyConfig(text)).toThrow(McpConfigError);
    expect(() => parseMcpProxyConfig(text)).toThrow(message);
  });
});
