// Peers for policy tests: a JWT issuer (jose), an HTTPS JWKS endpoint, an HTTP external authorization service
// and an ext_proc processor.
export { type AuthzCheck, type ExtAuthzServer, startHttpExtAuthz } from './ext-authz-server.ts';
export { type HeaderProcessor, startHeaderProcessor } from './header-processor.ts';
export { type JwksServer, startJwksServer } from './jwks-server.ts';
export { JwtIssuer, type SigningKey } from './jwt-issuer.ts';
export { type OidcClient, type OidcProvider, startOidcProvider } from './oidc-provider.ts';
