// A route table: each route's JSON schemas validate its requests (Ajv, unknown fields rejected)
// and the same schemas make the OpenAPI document, so the two cannot drift apart.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role, Session } from '../service/accounts.ts';

export type Schema = Record<string, unknown>;

export interface RouteContext {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** The caller, when the route needs one. */
  readonly session: Session | null;
  readonly body: Record<string, unknown>;
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** Who may call it; empty: anyone. */
  readonly roles: readonly Role[];
  readonly body?: Schema;
  readonly query?: Schema;
  readonly response?: Schema;
  /** It takes a client id: the body's `id` or the Idempotency-Key header, one of them required. */
  readonly clientId?: boolean;
  readonly handler: (context: RouteContext) => Promise<unknown>;
}

/** Strings of money, points and rates: the decimals of SPEC.md, checked again by the parser. */
export const moneySchema = { type: 'string', pattern: '^\\d{1,15}(\\.\\d{1,2})?$', examples: ['100.00'] };
export const pointsSchema = { type: 'string', pattern: '^\\d{1,13}(\\.\\d{1,6})?$', examples: ['12.5'] };
export const idSchema = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' };

export const object = (
  properties: Record<string, Schema>,
  required: readonly string[] = Object.keys(properties),
): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});

const errorSchema = object({ code: { type: 'string' }, message: { type: 'string' } });

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, '{$1}');
}

export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    const parameters = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const queryProperties = (route.query?.properties ?? {}) as Record<string, Schema>;
    for (const [name, schema] of Object.entries(queryProperties))
      parameters.push({ name, in: 'query', required: false, schema } as never);
    if (route.clientId === true) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'the client-chosen id of this write, if the body has no "id" (one of them is required)',
        schema: idSchema,
      } as never);
    }
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.tag],
      ...(route.roles.length === 0 ? { security: [] } : { description: `Roles: ${route.roles.join(', ')}` }),
      parameters,
      ...(route.body === undefined
        ? {}
        : { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } }),
      responses: {
        '200': {
          description: 'OK',
          content: { 'application/json': { schema: route.response ?? { type: 'object' } } },
        },
        '400': { description: 'Bad input', content: { 'application/json': { schema: errorSchema } } },
        '401': { description: 'Not signed in', content: { 'application/json': { schema: errorSchema } } },
        '403': {
          description: 'Not allowed for this role or subject',
          content: { 'application/json': { schema: errorSchema } },
        },
        '404': { description: 'Unknown', content: { 'application/json': { schema: errorSchema } } },
        '409': {
          description: 'Id reused with other content, or exists',
          content: { 'application/json': { schema: errorSchema } },
        },
        '422': {
          description: 'Refused by the rules',
          content: { 'application/json': { schema: errorSchema } },
        },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'poolpoint API',
      version: '1',
      description:
        'Consumption-appreciation points (消费增值): orders, points, wallets, withdrawals. Amounts are decimal strings (yuan with 2 decimals, points with 6). Writes take a client-chosen id: the same id with the same content returns the original result; with other content it is refused (409).',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths,
  };
}

export function register(
  app: FastifyInstance,
  routes: readonly Route[],
  authenticate: (request: FastifyRequest) => Promise<Session | null>,
): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      schema: {
        ...(route.body === undefined ? {} : { body: route.body }),
        ...(route.query === undefined ? {} : { querystring: route.query }),
      },
      handler: async (request, reply) => {
        // A public route serves anyone: a stale cookie there is no reason to refuse.
        const session =
          route.roles.length === 0
            ? await authenticate(request).catch(() => null)
            : await authenticate(request);
        if (route.roles.length > 0) {
          if (session === null)
            return reply.code(401).send({ code: 'unauthenticated', message: 'sign in first' });
          if (!route.roles.includes(session.role)) {
            return reply.code(403).send({ code: 'forbidden', message: `a ${session.role} may not do this` });
          }
        }
        return route.handler({
          request,
          reply,
          session,
          body: (request.body ?? {}) as Record<string, unknown>,
          params: request.params as Record<string, string>,
          query: (request.query ?? {}) as Record<string, string>,
        });
      },
    });
  }
}
