import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { NamespaceQueryDto } from '../../istio/dto/istio-requests.dto.js';

export class TopologyQueryDto extends NamespaceQueryDto {
  @ApiPropertyOptional({
    enum: ['telemetry'],
    description:
      'telemetry: also the edges observed in istio_requests_total over the last 5 minutes (source canonical service -> destination service, into the namespace or out of its workloads), with rps and errorRate, and each edge\'s origin. Needs PROMETHEUS_URL (else 503 PROMETHEUS_NOT_CONFIGURED).',
  })
  @IsOptional()
  @IsIn(['telemetry'], { message: 'include must be "telemetry"' })
  include?: 'telemetry';
}

export class TopologyEdgeDto {
  @ApiProperty({ example: 'frontend', description: 'Short name of a VirtualService host (config), or the source canonical service (telemetry)' })
  source: string;

  @ApiProperty({ example: 'payment-service', description: 'Short name of the route destination host (config), or the destination service (telemetry)' })
  destination: string;

  @ApiProperty({
    example: 100,
    description:
      "Config and both: the destination's route weight (100 for a sole destination without one). Telemetry-only: the observed share (percent) of the source's requests among the returned observed edges.",
  })
  weight: number;

  @ApiPropertyOptional({ example: 'canary', description: 'Subset of the route destination, when it has one' })
  subset?: string;

  @ApiPropertyOptional({ example: 'primary', description: 'The route: its name, else http[i], tcp[i] or tls[i] (config and both edges)' })
  route?: string;

  @ApiPropertyOptional({ example: 'frontend', description: 'Namespace of the source (absent for hosts that are not Kubernetes services, e.g. pay.example.com)' })
  sourceNamespace?: string;

  @ApiPropertyOptional({ example: 'payments', description: 'Namespace of the destination (absent for hosts that are not Kubernetes services)' })
  destinationNamespace?: string;

  @ApiProperty({
    enum: ['config', 'telemetry', 'both'],
    example: 'config',
    description: 'config: from VirtualService routes only (with include=telemetry: no traffic observed); telemetry: observed only; both: configured and observed',
  })
  origin: string;

  @ApiPropertyOptional({ example: 8, description: 'Observed requests per second of the source -> destination pair (include=telemetry; telemetry and both edges)' })
  rps?: number;

  @ApiPropertyOptional({ example: 0.05, description: 'Observed share (0 to 1) of failed requests: 5xx, code 0, non-OK gRPC status (include=telemetry; telemetry and both edges)' })
  errorRate?: number;
}
