// Credentials a backend needs, turned into request headers. Secrets live only in these values and the
// headers sent upstream; they are never logged (the config's toString hides them, see config.ts).
import { type AwsCredentials, signSigV4 } from './sigv4.ts';

export type BackendAuth =
  | { readonly type: 'APIKey'; readonly key: string }
  | { readonly type: 'AzureAPIKey'; readonly key: string }
  | { readonly type: 'AnthropicAPIKey'; readonly key: string }
  | {
      readonly type: 'AWSSigV4';
      readonly region: string;
      readonly service: string;
      readonly credentials: AwsCredentials;
    }
  | { readonly type: 'GCPAccessToken'; readonly accessToken: string };

export interface SignableRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Milliseconds since the epoch, from the injected clock. */
  readonly time: number;
}

/** Headers that authenticate `request` to the backend. */
export function authHeaders(auth: BackendAuth | undefined, request: SignableRequest): Record<string, string> {
  switch (auth?.type) {
    case undefined:
      return {};
    case 'APIKey':
      return { authorization: `Bearer ${auth.key}` };
    case 'AzureAPIKey':
      return { 'api-key': auth.key };
    case 'AnthropicAPIKey':
      return { 'x-api-key': auth.key };
    case 'GCPAccessToken':
      return { authorization: `Bearer ${auth.accessToken}` };
    case 'AWSSigV4':
      return signSigV4({ ...request, region: auth.region, service: auth.service }, auth.credentials);
  }
}
