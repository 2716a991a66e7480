/**
 * The part of `oidc-provider`'s API that dev/oidc-provider.ts uses. The package ships JavaScript
 * only (its type definitions live in DefinitelyTyped, which the project does not install); these
 * are written from its documented configuration and kept to what the fixture calls.
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export interface KoaContextLike {
    type: string;
    body: unknown;
  }

  export interface ClientLike {
    clientId: string;
  }

  export interface InteractionLike {
    uid: string;
  }

  export interface AccountLike {
    accountId: string;
    claims(use: string, scope: string, claims: unknown, rejected: string[]): Promise<Record<string, unknown>>;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: "opaque" | "jwt";
    jwt?: { sign?: { alg: string } };
  }

  export interface Configuration {
    clients?: Array<Record<string, unknown>>;
    jwks?: { keys: Array<Record<string, unknown>> };
    cookies?: { keys?: string[] };
    scopes?: string[];
    claims?: Record<string, string[]>;
    pkce?: { required?: (ctx: unknown, client: ClientLike) => boolean };
    clientBasedCORS?: (ctx: unknown, origin: string, client: ClientLike) => boolean;
    findAccount?: (ctx: unknown, sub: string, token?: unknown) => Promise<AccountLike | undefined>;
    features?: {
      devInteractions?: { enabled: boolean };
      rpInitiatedLogout?: { enabled: boolean };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: unknown, client: ClientLike, oneOf?: string[]) => Promise<string | string[] | undefined>;
        useGrantedResource?: (ctx: unknown, model: unknown) => Promise<boolean>;
        getResourceServerInfo?: (ctx: unknown, resourceIndicator: string, client: ClientLike) => Promise<ResourceServerInfo>;
      };
    };
    renderError?: (ctx: KoaContextLike, out: { error: string; error_description?: string }, error: Error) => Promise<void>;
    interactions?: { url?: (ctx: unknown, interaction: InteractionLike) => Promise<string> };
    ttl?: Record<string, number | ((...args: unknown[]) => number)>;
  }

  export interface InteractionDetails {
    uid: string;
    params: Record<string, unknown>;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    session?: { accountId: string };
    grantId?: string;
  }

  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    Grant: typeof Grant & { find(id: string): Promise<Grant | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export default Provider;
}
