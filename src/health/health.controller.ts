import { Controller, Get, HttpException, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators.js';
import { ApiError } from '../common/api-error.js';
import { ClusterResolver } from '../kubernetes/cluster.resolver.js';
import { PrometheusClient } from '../prometheus/prometheus.client.js';

/**
 * Liveness and readiness for Kubernetes probes, outside /api/v1 and without a token. Readiness
 * needs the default cluster (when one is configured) and Prometheus (when PROMETHEUS_URL is set).
 */
@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly clusters: ClusterResolver,
    private readonly prometheus: PrometheusClient,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process serves HTTP' })
  @ApiOkResponse({
    description: 'The process serves HTTP',
    schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'], example: 'ok' } } },
  })
  liveness() {
    return { status: 'ok' };
  }

  @Get('readyz')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the default Kubernetes cluster and Prometheus answer' })
  @ApiOkResponse({
    description: 'Every dependency is up (Terminus result)',
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', example: 'ok' }, info: { type: 'object', additionalProperties: true }, error: { type: 'object', additionalProperties: true }, details: { type: 'object', additionalProperties: true } },
    },
  })
  @ApiServiceUnavailableResponse({
    description: 'A dependency is down (Terminus result with details per dependency)',
    schema: { type: 'object', properties: { status: { type: 'string', example: 'error' }, info: { type: 'object', additionalProperties: true }, error: { type: 'object', additionalProperties: true }, details: { type: 'object', additionalProperties: true } } },
  })
  async readiness(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      return await this.health.check([() => this.kubernetes(), () => this.prometheusCheck()]);
    } catch (error) {
      // Terminus reports failures as a 503 HttpException carrying the per-dependency result.
      if (error instanceof HttpException) {
        void reply.status(error.getStatus());
        return error.getResponse();
      }
      throw error;
    }
  }

  private async kubernetes() {
    const check = this.indicators.check('kubernetes');
    try {
      const ready = await this.clusters.defaultCluster().ready();
      return ready ? check.up() : check.down({ message: 'The Kubernetes API server reports it is not ready' });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'CLUSTER_NOT_CONFIGURED') return check.up({ configured: false });
      // This endpoint is public: only our own messages, never a parser's (a kubeconfig holds credentials).
      return check.down({ message: error instanceof ApiError ? error.message : 'The default kubeconfig could not be loaded' });
    }
  }

  private async prometheusCheck() {
    const check = this.indicators.check('prometheus');
    if (!this.prometheus.configured) return check.up({ configured: false });
    return (await this.prometheus.isReachable()) ? check.up() : check.down({ message: 'Prometheus did not answer a trivial query' });
  }
}
