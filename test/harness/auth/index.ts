// Authentication and authorization peers for policy tests: a JWT issuer (jose), an HTTPS JWKS endpoint and an
// HTTP external authorization service.
export { type AuthzCheck, type ExtAuthzServer, startHttpExtAuthz } from './ext-authz-server.ts';
export { type JwksServer, startJwksServer } from './jwks-server.ts';
export { JwtIssuer, type SigningKey } from './jwt-issuer.ts';
