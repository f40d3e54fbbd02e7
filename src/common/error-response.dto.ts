import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({ example: 'namespace must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters)' })
  message: string;

  @ApiProperty({
    description:
      'Stable machine-readable code: VALIDATION_FAILED, INVALID_WEIGHTS, UNKNOWN_DESTINATION, NO_MATCHING_ROUTE, INVALID_KUBECONFIG, KUBECONFIG_FIELD_REFUSED, OVERRIDE_DISABLED, SERVER_NOT_ALLOWED, KUBECONFIG_CREDENTIALS_REJECTED, UNAUTHORIZED, FORBIDDEN, KUBERNETES_FORBIDDEN, NOT_FOUND, ISTIO_NOT_INSTALLED, CONFLICT, PAYLOAD_TOO_LARGE, KUBERNETES_REJECTED, RATE_LIMITED, KUBERNETES_AUTH_FAILED, PROMETHEUS_ERROR, CLUSTER_NOT_CONFIGURED, KUBERNETES_UNAVAILABLE, PROMETHEUS_NOT_CONFIGURED, PROMETHEUS_UNAVAILABLE, INTERNAL',
    example: 'VALIDATION_FAILED',
  })
  code: string;

  @ApiPropertyOptional({ description: 'Id of the request (also in the x-request-id response header and the logs)' })
  requestId?: string;

  @ApiPropertyOptional({
    description: 'Extra facts for the caller, e.g. `availableDestinations` for weight errors',
    type: 'object',
    additionalProperties: true,
  })
  details?: Record<string, unknown>;
}
