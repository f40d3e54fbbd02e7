import { ConsoleLogger, type LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import helmet from 'helmet';
import { createHash, randomUUID } from 'node:crypto';
import { AppModule } from './app.module.js';
import { ApiError } from './common/api-error.js';
import { ApiExceptionFilter } from './common/api-exception.filter.js';
import { entityTagOf, ifNoneMatchMatches, serializeReply } from './common/reply-serializer.js';
import { StrictInputGuard } from './common/strict-input.guard.js';
import { type AppConfig, loadConfig } from './config/app-config.js';
import { ServiceMetrics } from './observability/service-metrics.js';

export const API_PREFIX = 'api/v1';
/** Operational routes: outside /api/v1, unauthenticated, not rate limited. */
const OPERATIONAL_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request URLs are logged; a kubeconfig in the query string carries credentials. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]kubeconfig=)[^&]*/gi, '$1[REDACTED]');
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Istio API')
    .setDescription(
      'Read and steer Istio service meshes: detect Istio, read VirtualServices, PeerAuthentications and AuthorizationPolicies, shift canary weights, fetch Istio telemetry from Prometheus and draw the service topology. Every endpoint needs a JWT bearer token; changing weights needs the admin role. Errors share one shape (ErrorResponseDto) with a stable `code`.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, config, { operationIdFactory: (_controller, method) => method });
}

export function fastifyAdapter(config: AppConfig, logging = true): FastifyAdapter {
  return new FastifyAdapter({
    // The app has no Nest middleware (its hooks are Fastify hooks), so @fastify/middie, whose
    // per-request hook cost ~3% of CPU under load, is not registered. Adding a Nest middleware
    // fails at start-up until this goes.
    skipMiddie: true,
    bodyLimit: config.http.bodyLimitBytes,
    // Kubernetes object names reach 253 characters; Fastify's default (100) would answer 414.
    routerOptions: { maxParamLength: 300 },
    trustProxy: config.http.trustProxy,
    requestIdHeader: false,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    logger: logging
      ? {
          level: config.logLevel,
          serializers: {
            req: (request: { method: string; url: string; ip?: string }) => ({ method: request.method, url: redactUrl(request.url), remoteAddress: request.ip }),
          },
          redact: ['req.headers.authorization', 'req.headers["x-kubeconfig"]'],
        }
      : false,
  });
}

/**
 * Rate-limit bucket per caller: the JWT `sub` when a bearer token is present (hashed; read without
 * verification, which is fine for bucketing: a forged token is refused by the JWT guard anyway),
 * else the client address.
 */
export function rateLimitKey(request: { headers: Record<string, unknown>; ip: string }): string {
  const match = /^Bearer\s+[^.]+\.([^.]+)\./i.exec(String(request.headers.authorization ?? ''));
  if (match) {
    try {
      const sub = (JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
      if (typeof sub === 'string' && sub.length > 0) return `sub:${createHash('sha256').update(sub).digest('hex').slice(0, 32)}`;
    } catch {
      /* not a JWT: fall back to the address */
    }
  }
  return `ip:${request.ip}`;
}

/** Everything the app needs besides its modules; shared by main.ts and the tests' TestingModule apps. */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<NestFastifyApplication> {
  app.setGlobalPrefix(API_PREFIX, { exclude: ['healthz', 'readyz', 'metrics'] });
  app.useGlobalFilters(new ApiExceptionFilter());
  // Before the ValidationPipe: refuses what class-transformer would drop or choke on (every route, so
  // new ones are covered). Global guards given here run after the APP_GUARD ones (authentication, roles).
  app.useGlobalGuards(new StrictInputGuard());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: true }));

  // Security headers. Swagger UI needs inline styles and its init script; everything else is plain
  // JSON. Helmet's middleware is built once: @fastify/helmet rebuilds it (re-parsing the CSP) on
  // every request, which cost ~5% of CPU under load.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: { defaultSrc: [`'self'`], styleSrc: [`'self'`, `'unsafe-inline'`], imgSrc: [`'self'`, 'data:'], scriptSrc: [`'self'`, `'unsafe-inline'`] },
    },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)));
  if (config.http.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.http.corsOrigins.includes('*') ? true : config.http.corsOrigins,
      methods: ['GET', 'PATCH', 'OPTIONS'],
      allowedHeaders: ['authorization', 'content-type', 'x-kubeconfig', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
    });
  }
  if (config.http.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: config.http.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: rateLimitKey,
      allowList: (request) => OPERATIONAL_PATHS.has(request.url.split('?')[0]!),
      // Thrown by the plugin, then shaped by ApiExceptionFilter like every other error.
      errorResponseBuilder: (_request, context) =>
        new ApiError('RATE_LIMITED', `Rate limit of ${context.max} requests per minute exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`, {
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
        }) as never,
    });
  }

  const metrics = app.get(ServiceMetrics);
  const fastify = app.getHttpAdapter().getInstance();
  // JSON.stringify like Fastify's default, except answers reused across requests are written once
  // (typed as string: Fastify writes strings and Buffers alike).
  fastify.setReplySerializer(serializeReply as (payload: unknown) => string);
  // Graceful shutdown: in-flight requests finish, and their keep-alive connections are closed
  // after the response instead of holding server.close() open for the keep-alive timeout.
  // Compressed request bodies are not decoded; refuse them instead of parsing bytes as text.
  fastify.addHook('onRequest', async (request) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Compressed request bodies (Content-Encoding) are not accepted');
    }
  });
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-request-id', request.id);
    if (closing) void reply.header('connection', 'close');
    // Answers written from prepared bytes carry an entity tag; a poller that already has them gets 304.
    const etag = reply.statusCode === 200 ? entityTagOf(payload) : undefined;
    if (!etag) return payload;
    void reply.header('etag', etag);
    if ((request.method === 'GET' || request.method === 'HEAD') && ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      void reply.code(304);
      return null;
    }
    return payload;
  });
  fastify.addHook('onResponse', async (request, reply) => {
    metrics.observeHttp(request.method, request.routeOptions?.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  // Only the signals a supervisor sends to stop us (Nest's default list also stops on SIGUSR2 etc.).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  if (config.docsEnabled) {
    SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'api/docs-json' });
  }
  await app.init();
  return app;
}

const NEST_LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Builds the application (not listening yet). Logs are JSON lines, like Fastify's request logs. */
export async function createApp(config: AppConfig = loadConfig()): Promise<NestFastifyApplication> {
  const logger = new ConsoleLogger({ json: true, logLevels: NEST_LEVELS[config.logLevel] });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), fastifyAdapter(config), { logger });
  return configureApp(app, config);
}
