import { ConsoleLogger, type LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module.js';
import { ApiExceptionFilter } from './common/api-exception.filter.js';
import { type AppConfig, loadConfig } from './config/app-config.js';

export const API_PREFIX = 'api/v1';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request URLs are logged; a kubeconfig in the query string carries credentials. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]kubeconfig=)[^&]*/gi, '$1[REDACTED]');
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Istio API')
    .setDescription(
      'Read and steer Istio service meshes: detect Istio, read VirtualServices, PeerAuthentications and AuthorizationPolicies, shift canary weights, fetch Istio telemetry from Prometheus and draw the service topology. Every endpoint needs a JWT bearer token; changing weights needs the admin role. Errors share one shape (ErrorResponse) with a stable `code`.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, config, { operationIdFactory: (_controller, method) => method });
}

export function fastifyAdapter(config: AppConfig, logging = true): FastifyAdapter {
  return new FastifyAdapter({
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

/** Everything the app needs besides its modules; shared by main.ts and the tests' TestingModule apps. */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<NestFastifyApplication> {
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalFilters(new ApiExceptionFilter());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: true }));
  app.getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (request, reply) => {
      void reply.header('x-request-id', request.id);
    });
  app.enableShutdownHooks();
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
