import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly, Authenticated, CurrentUser } from '../auth/auth.decorators.js';
import type { AuthUser } from '../auth/roles.js';
import { ConditionalGet, KubernetesEndpoint } from '../common/api-docs.decorators.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { KubeconfigOverride } from '../kubernetes/kubeconfig-override.decorator.js';
import { KubeconfigQueryDto, NamespaceQueryDto, ResourcePathDto, UpdateWeightsDto } from './dto/istio-requests.dto.js';
import { AuthorizationPolicyDto, IstioStatusDto, PeerAuthenticationDto, VirtualServiceDto } from './dto/istio-responses.dto.js';
import { IstioStatusService } from './istio-status.service.js';
import { SecurityPoliciesService } from './security-policies.service.js';
import { VirtualServicesService } from './virtual-services.service.js';

@ApiTags('istio')
@Authenticated()
@KubernetesEndpoint()
@Controller('istio')
export class IstioController {
  constructor(
    private readonly statusService: IstioStatusService,
    private readonly virtualServices: VirtualServicesService,
    private readonly securityPolicies: SecurityPoliciesService,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'Check if Istio is installed', description: 'API groups served, istiod revisions with readiness, and the Istio version.' })
  @ApiOkResponse({ type: IstioStatusDto })
  status(@Query() _query: KubeconfigQueryDto, @KubeconfigOverride() override: string | undefined, @CurrentUser() user: AuthUser) {
    return this.statusService.status(override, user);
  }

  @Get('virtual-services')
  @ApiOperation({ summary: 'List VirtualServices in a namespace' })
  @ApiOkResponse({ type: [VirtualServiceDto] })
  @ConditionalGet()
  listVirtualServices(@Query() query: NamespaceQueryDto, @KubeconfigOverride() override: string | undefined, @CurrentUser() user: AuthUser) {
    return this.virtualServices.list(query.namespace, override, user);
  }

  @Get('virtual-services/:namespace/:name')
  @ApiOperation({ summary: 'Get a specific VirtualService' })
  @ApiOkResponse({ type: VirtualServiceDto })
  getVirtualService(
    @Param() path: ResourcePathDto,
    @Query() _query: KubeconfigQueryDto,
    @KubeconfigOverride() override: string | undefined,
    @CurrentUser() user: AuthUser,
  ) {
    return this.virtualServices.get(path.namespace, path.name, override, user);
  }

  @Patch('virtual-services/:namespace/:name/weights')
  @AdminOnly()
  @ApiOperation({
    summary: 'Update traffic weights',
    description:
      'Changes only the weights of the matching HTTP route destinations and writes with the read resourceVersion; on a concurrent change it re-reads and re-applies (bounded), then answers 409. Every other field stays as it was.',
  })
  @ApiOkResponse({ type: VirtualServiceDto, description: 'The updated VirtualService' })
  @ApiConflictResponse({ description: 'The object kept changing concurrently; retry', type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ description: 'Body larger than BODY_LIMIT_BYTES (PAYLOAD_TOO_LARGE)', type: ErrorResponseDto })
  @ApiResponse({ status: 422, description: 'The Kubernetes API rejected the update (KUBERNETES_REJECTED)', type: ErrorResponseDto })
  updateWeights(
    @Param() path: ResourcePathDto,
    // Validated like every other route's query: unknown parameters answer 400 instead of being ignored.
    @Query() _query: KubeconfigQueryDto,
    @Body() body: UpdateWeightsDto,
    @KubeconfigOverride() override: string | undefined,
    @CurrentUser() user: AuthUser,
  ) {
    return this.virtualServices.updateWeights(path.namespace, path.name, { weights: body.weights, route: body.route }, override, user);
  }

  @Get('peer-authentications')
  @ApiOperation({ summary: 'List PeerAuthentication policies' })
  @ApiOkResponse({ type: [PeerAuthenticationDto] })
  @ConditionalGet()
  listPeerAuthentications(@Query() query: NamespaceQueryDto, @KubeconfigOverride() override: string | undefined, @CurrentUser() user: AuthUser) {
    return this.securityPolicies.peerAuthentications(query.namespace, override, user);
  }

  @Get('authorization-policies')
  @ApiOperation({ summary: 'List AuthorizationPolicy resources' })
  @ApiOkResponse({ type: [AuthorizationPolicyDto] })
  @ConditionalGet()
  listAuthorizationPolicies(@Query() query: NamespaceQueryDto, @KubeconfigOverride() override: string | undefined, @CurrentUser() user: AuthUser) {
    return this.securityPolicies.authorizationPolicies(query.namespace, override, user);
  }
}
