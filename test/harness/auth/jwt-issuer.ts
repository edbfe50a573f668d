// A JWT issuer for tests: signing keys made with jose at test time, tokens with any claims (valid, expired,
// wrong issuer or audience), and the public keys as a JWKS document. Rotating adds a new key and signs with it.
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export class JwtIssuer {
  readonly issuer: string;
  readonly audience: string;
  #keys: SigningKey[] = [];

  private constructor(issuer: string, audience: string) {
    this.issuer = issuer;
    this.audience = audience;
  }

  static async create(issuer: string, audience: string): Promise<JwtIssuer> {
    const created = new JwtIssuer(issuer, audience);
    await created.rotate();
    return created;
  }

  /** A new signing key; tokens are signed with it from now on. Returns it. */
  async rotate(): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `key-${this.#keys.length + 1}`;
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const key = { kid, privateKey, jwk };
    this.#keys.push(key);
    return key;
  }

  get current(): SigningKey {
    return this.#keys.at(-1)!;
  }

  /** The JWKS of the given keys (default: all). */
  jwks(keys: readonly SigningKey[] = this.#keys): string {
    return JSON.stringify({ keys: keys.map((k) => k.jwk) });
  }

  /** A token with the issuer, audience and one hour of validity unless `claims` or `options` say otherwise. */
  sign(
    claims: Record<string, unknown> = {},
    options: { issuer?: string; audience?: string; expiresInSeconds?: number; key?: SigningKey } = {},
  ): Promise<string> {
    const key = options.key ?? this.current;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub: 'alice', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setIssuedAt(now - 60)
      .setExpirationTime(now + (options.expiresInSeconds ?? 3600))
      .sign(key.privateKey);
  }
}
