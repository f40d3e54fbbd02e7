import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI schemas of the responses; the runtime values come from the pure mappers in istio.views.ts. */

class PortSelectorDto {
  @ApiPropertyOptional({ type: 'integer', example: 8080 })
  number?: number;
}

export class DestinationDto {
  @ApiProperty({ example: 'payment-service' })
  host: string;

  @ApiPropertyOptional({ example: 'stable' })
  subset?: string;

  @ApiPropertyOptional({ type: PortSelectorDto })
  port?: PortSelectorDto;
}

export class RouteDestinationDto {
  @ApiProperty({ type: DestinationDto })
  destination: DestinationDto;

  @ApiProperty({ type: 'integer', example: 90, description: 'Effective weight: the stored one, or 100 for a sole destination without one' })
  weight: number;
}

export class HttpRouteDto {
  @ApiPropertyOptional({ example: 'primary' })
  name?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Istio HTTPMatchRequest objects, as stored',
    example: [{ headers: { 'x-canary': { exact: 'true' } } }],
  })
  match?: Record<string, unknown>[];

  @ApiProperty({ type: [RouteDestinationDto] })
  route: RouteDestinationDto[];
}

export class L4RouteDto {
  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Istio L4/TLS match attributes, as stored' })
  match?: Record<string, unknown>[];

  @ApiProperty({ type: [RouteDestinationDto] })
  route: RouteDestinationDto[];
}

export class VirtualServiceDto {
  @ApiProperty({ example: 'payment-service' })
  name: string;

  @ApiProperty({ example: 'payments' })
  namespace: string;

  @ApiProperty({ type: [String], example: ['payment-service'] })
  hosts: string[];

  @ApiPropertyOptional({ type: [String], example: ['istio-system/public-gateway'] })
  gateways?: string[];

  @ApiProperty({ type: [HttpRouteDto] })
  http: HttpRouteDto[];

  @ApiPropertyOptional({ type: [L4RouteDto] })
  tcp?: L4RouteDto[];

  @ApiPropertyOptional({ type: [L4RouteDto] })
  tls?: L4RouteDto[];

  @ApiPropertyOptional({ example: '48213', description: 'Kubernetes resourceVersion of the object read or written' })
  resourceVersion?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2025-01-15T10:00:00Z' })
  createdAt?: string;
}

const MTLS_MODES = ['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET'];

export class PeerAuthenticationDto {
  @ApiProperty({ example: 'default' })
  name: string;

  @ApiProperty({ example: 'payments' })
  namespace: string;

  @ApiProperty({ enum: MTLS_MODES, example: 'STRICT', description: 'UNSET when the policy sets no mode (inherits from its parent)' })
  mtlsMode: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2025-01-15T10:00:00Z' })
  createdAt?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { app: 'payment-service' }, description: 'Workload selector (matchLabels); absent for namespace/mesh-wide policies' })
  selector?: Record<string, string>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', enum: MTLS_MODES },
    example: { '8080': 'DISABLE' },
    description: 'Per-port mTLS modes',
  })
  portLevelMtls?: Record<string, string>;
}

class ProviderDto {
  @ApiProperty({ example: 'ext-authz' })
  name: string;
}

export class AuthorizationPolicyDto {
  @ApiProperty({ example: 'allow-frontend' })
  name: string;

  @ApiProperty({ example: 'payments' })
  namespace: string;

  @ApiProperty({ enum: ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'], example: 'ALLOW', description: 'ALLOW when the policy sets no action (Istio default)' })
  action: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Istio Rule objects (from, to, when), as stored',
    example: [{ from: [{ source: { principals: ['cluster.local/ns/frontend/sa/frontend'] } }] }],
  })
  rules: Record<string, unknown>[];

  @ApiPropertyOptional({ format: 'date-time', example: '2025-01-15T10:00:00Z' })
  createdAt?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { app: 'payment-service' } })
  selector?: Record<string, string>;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true } })
  targetRefs?: Record<string, unknown>[];

  @ApiPropertyOptional({ type: ProviderDto, description: 'Extension provider of a CUSTOM policy' })
  provider?: ProviderDto;
}

export class ControlPlaneRevisionDto {
  @ApiProperty({ example: 'default', description: 'Value of the istio.io/rev label ("default" when absent)' })
  revision: string;

  @ApiProperty({ example: 'istiod' })
  name: string;

  @ApiProperty({ example: 'istio-system' })
  namespace: string;

  @ApiProperty({ example: '1.28.1', nullable: true, type: String, description: 'From the istiod image tag; null when the image has no version tag' })
  version: string | null;

  @ApiProperty({ example: true, description: 'All desired replicas ready (and at least one)' })
  ready: boolean;

  @ApiProperty({ type: 'integer', example: 1 })
  replicas: number;

  @ApiProperty({ type: 'integer', example: 1 })
  readyReplicas: number;
}

export class ApiGroupDto {
  @ApiProperty({ example: 'networking.istio.io' })
  group: string;

  @ApiProperty({ example: 'v1', description: 'Version this service reads and writes' })
  preferredVersion: string;

  @ApiProperty({ type: [String], example: ['v1', 'v1beta1', 'v1alpha3'] })
  servedVersions: string[];
}

export class IstioStatusDto {
  @ApiProperty({ example: true, description: 'The networking.istio.io API group is served (Istio CRDs installed)' })
  installed: boolean;

  @ApiProperty({ example: '1.28.1', nullable: true, type: String, description: 'Version of the default revision (else of the first ready one); null if unknown' })
  version: string | null;

  @ApiProperty({ type: [ControlPlaneRevisionDto], description: 'istiod Deployments (label app=istiod) by revision' })
  revisions: ControlPlaneRevisionDto[];

  @ApiProperty({ type: [ApiGroupDto], description: 'Istio API groups the cluster serves (networking.istio.io, security.istio.io)' })
  apiGroups: ApiGroupDto[];

  @ApiProperty({ type: [String], example: [], description: 'Parts that could not be read (e.g. RBAC forbids listing Deployments); the rest is still reported' })
  warnings: string[];
}
