import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../auth/auth.decorators.js';
import type { AuthUser } from '../auth/roles.js';
import { ConditionalGet, KubernetesEndpoint } from '../common/api-docs.decorators.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { KubeconfigOverride } from '../kubernetes/kubeconfig-override.decorator.js';
import { PROMETHEUS_502, PROMETHEUS_503 } from '../prometheus/prometheus-docs.decorators.js';
import { TopologyEdgeDto, TopologyQueryDto } from './dto/topology.dto.js';
import { TopologyService } from './topology.service.js';

@ApiTags('topology')
@Authenticated()
@KubernetesEndpoint()
@Controller('istio')
export class TopologyController {
  constructor(private readonly topology: TopologyService) {}

  @Get('topology')
  @ApiOperation({
    summary: 'Get service dependency topology',
    description:
      'Edges derived from the VirtualServices of the namespace: for each VirtualService, each host H of spec.hosts (short name; wildcards skipped) and each destination D of its http, tcp and tls routes, an edge {source: H, destination: short name of D.host, weight} where weight is D\'s weight (100 for a sole destination without one), plus `subset` when D has one and `route` (its name, else http[i]/tcp[i]/tls[i]). A namespace without VirtualServices answers []. With include=telemetry, observed edges are merged in and each edge says its origin.',
  })
  @ApiOkResponse({ type: [TopologyEdgeDto] })
  @ConditionalGet()
  @ApiResponse({ status: 502, description: `KUBERNETES_AUTH_FAILED, or (include=telemetry) ${PROMETHEUS_502}`, type: ErrorResponseDto })
  @ApiResponse({
    status: 503,
    description: `Kubernetes API unreachable or timed out (KUBERNETES_UNAVAILABLE) or no default cluster (CLUSTER_NOT_CONFIGURED); with include=telemetry also: ${PROMETHEUS_503}`,
    type: ErrorResponseDto,
  })
  topologyEdges(@Query() query: TopologyQueryDto, @KubeconfigOverride() override: string | undefined, @CurrentUser() user: AuthUser) {
    return this.topology.edges(query, override, user);
  }
}
