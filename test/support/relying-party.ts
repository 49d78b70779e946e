import * as oidc from 'openid-client';

/**
 * A relying party built with openid-client from the discovery document alone: no hand-written
 * endpoint URLs. Plain http is allowed because tests run on 127.0.0.1.
 */
export class RelyingParty {
  readonly config: oidc.Configuration;
  readonly redirectUri: string;
  #checks: { verifier: string; state: string; nonce: string } | undefined;

  private constructor(config: oidc.Configuration, redirectUri: string) {
    this.config = config;
    this.redirectUri = redirectUri;
  }

  static async discover(issuer: string, clientId: string, clientSecret: string | undefined, redirectUri: string): Promise<RelyingParty> {
    const auth = clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None();
    const config = await oidc.discovery(new URL(issuer), clientId, { redirect_uris: [redirectUri] }, auth, {
      execute: [oidc.allowInsecureRequests],
    });
    return new RelyingParty(config, redirectUri);
  }

  async authorizationUrl(params: Record<string, string> = {}): Promise<string> {
    const verifier = oidc.randomPKCECodeVerifier();
    this.#checks = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
    return oidc
      .buildAuthorizationUrl(this.config, {
        redirect_uri: this.redirectUri,
        scope: 'openid email profile offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: this.#checks.state,
        nonce: this.#checks.nonce,
        ...params,
      })
      .toString();
  }

  /** Redeems the code; `tokenParameters` go to the token endpoint too (`resource`, say). */
  async callback(currentUrl: string, tokenParameters?: Record<string, string>) {
    if (!this.#checks) throw new Error('no authorization request in flight');
    const { verifier, state, nonce } = this.#checks;
    return oidc.authorizationCodeGrant(
      this.config,
      new URL(currentUrl),
      {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      },
      tokenParameters,
    );
  }

  refresh(refreshToken: string) {
    return oidc.refreshTokenGrant(this.config, refreshToken);
  }

  userinfo(accessToken: string, subject: string) {
    return oidc.fetchUserInfo(this.config, accessToken, subject);
  }

  get jwksUri(): string {
    return this.config.serverMetadata().jwks_uri!;
  }
}
