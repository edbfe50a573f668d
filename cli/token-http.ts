// The HTTP calls of the token exchanges (cli/access-token-port.ts): each bounded in time, never following a
// redirect, and answering a JSON body or an error text naming the endpoint and what it said (`error`,
// `error_description`, Google's `error.status`/`error.message`, or AWS's XML `Code`/`Message`) — never a throw, never a secret or token in the
// text. An OIDC provider's token comes from the client credentials grant, as Envoy AI Gateway's OIDC token provider
// gets it (golang.org/x/oauth2 clientcredentials); its discovery document (go-oidc) is read by the control plane's
// discovery actor, once per issuer, never here.
import type { OidcClient } from '../model/ai-gateway/oidc-client.ts';

const MAX_ERROR_TEXT = 200;

/** A 2xx answer: its body as JSON (empty when it is not JSON) and as text; or why there is none. */
export type Answer =
  | { readonly body: Record<string, unknown>; readonly text: string }
  | { readonly error: string };

/** One call; `what` names the endpoint in errors ("token endpoint <url>"). A non-2xx answer is an error. */
export async function call(what: string, url: string, init: RequestInit, timeoutMs: number): Promise<Answer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      ...init,
      headers: { accept: 'application/json', ...(init.headers as Record<string, string>) },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return { error: `${what} ${url}: ${why}` };
  }
  let body: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {}
  if (response.status < 200 || response.status > 299) {
    const detail = errorDetail(body, text).slice(0, MAX_ERROR_TEXT);
    return { error: `${what} ${url} answered HTTP ${response.status}${detail ? ` (${detail})` : ''}` };
  }
  return { body, text };
}

/** The text of the first XML element `name` in `xml` (entities decoded), if any. */
export function xmlElement(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match?.[1]
    ?.replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

function errorDetail(body: Record<string, unknown>, text: string): string {
  const google = body.error as { status?: unknown; message?: unknown } | undefined;
  if (typeof google === 'object' && google !== null)
    return [google.status, google.message].filter((part) => typeof part === 'string').join(': ');
  const said = [body.error, body.error_description].filter((part) => typeof part === 'string').join(': ');
  if (said !== '') return said;
  const aws = [xmlElement(text, 'Code'), xmlElement(text, 'Message')].filter((part) => part !== undefined);
  return aws.length > 0 ? aws.join(': ') : text.trim();
}

/** A POST of a form (OAuth token endpoints) or of JSON (Google's STS and IAM Credentials APIs). */
export function post(
  what: string,
  url: string,
  body: { readonly form: Record<string, string> } | { readonly json: unknown },
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const [type, text] =
    'form' in body
      ? ['application/x-www-form-urlencoded', new URLSearchParams(body.form).toString()]
      : ['application/json', JSON.stringify(body.json)];
  return call(
    what,
    url,
    { method: 'POST', headers: { 'content-type': type, ...headers }, body: text },
    timeoutMs,
  );
}

/** An OAuth token answer: `access_token` and a positive `expires_in` (seconds). */
export function oauthToken(
  url: string,
  answer: Answer,
): { readonly accessToken: string; readonly expiresInMs: number } | { readonly error: string } {
  if ('error' in answer) return answer;
  const accessToken = answer.body.access_token;
  const expiresIn = Number(answer.body.expires_in);
  if (typeof accessToken !== 'string' || accessToken === '')
    return { error: `token endpoint ${url} answered without an access_token` };
  if (!Number.isFinite(expiresIn) || expiresIn <= 0)
    return { error: `token endpoint ${url} answered without a positive expires_in` };
  return { accessToken, expiresInMs: expiresIn * 1000 };
}

/**
 * A token from an OIDC provider: the client credentials grant at its token endpoint (given, or read from its
 * discovery document by the control plane's discovery actor: model/ai-gateway/oidc-client.ts) for the scopes asked
 * for and those it supports, the client's ID and secret in HTTP Basic authentication (RFC 6749 §2.3.1).
 */
export async function oidcClientToken(
  client: OidcClient,
  timeoutMs: number,
): Promise<{ token: string } | { error: string }> {
  const basic = `${encodeURIComponent(client.clientID)}:${encodeURIComponent(client.clientSecret)}`;
  const form: Record<string, string> = { grant_type: 'client_credentials' };
  if (client.scopes.length > 0) form.scope = client.scopes.join(' ');
  const answer = await post('token endpoint', client.tokenEndpoint, { form }, timeoutMs, {
    authorization: `Basic ${Buffer.from(basic).toString('base64')}`,
  });
  if ('error' in answer) return answer;
  // No expires_in needed: the token is exchanged at once.
  const token = answer.body.access_token;
  return typeof token === 'string' && token !== ''
    ? { token }
    : { error: `token endpoint ${client.tokenEndpoint} answered without an access_token` };
}
