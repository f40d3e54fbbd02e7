import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiResponse, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto.js';

/** Documents the errors every Kubernetes-backed endpoint can answer, plus the X-Kubeconfig header. */
export const KubernetesEndpoint = () =>
  applyDecorators(
    ApiHeader({
      name: 'X-Kubeconfig',
      required: false,
      description: 'Base64 kubeconfig override (same rules as the kubeconfig parameter; keeps credentials out of URLs)',
    }),
    ApiBadRequestResponse({ description: 'Invalid parameters, or a refused/invalid kubeconfig override', type: ErrorResponseDto }),
    ApiResponse({ status: 403, description: 'Kubernetes RBAC denies the credentials in use (code KUBERNETES_FORBIDDEN)', type: ErrorResponseDto }),
    ApiResponse({ status: 404, description: 'Istio is not installed (ISTIO_NOT_INSTALLED) or the object does not exist (NOT_FOUND)', type: ErrorResponseDto }),
    ApiResponse({ status: 502, description: "The cluster rejected this service's own credentials (KUBERNETES_AUTH_FAILED)", type: ErrorResponseDto }),
    ApiServiceUnavailableResponse({
      description: 'Kubernetes API unreachable or timed out (KUBERNETES_UNAVAILABLE), or no default cluster configured (CLUSTER_NOT_CONFIGURED)',
      type: ErrorResponseDto,
    }),
  );

/**
 * Documents conditional GETs: answers prepared once and reused (watch-cache lists, cached metrics,
 * configured topology) carry an ETag, and a matching If-None-Match gets 304 without a body.
 */
export const ConditionalGet = () =>
  applyDecorators(
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'ETag of an earlier answer: 304 without a body if the answer is still the same. Answers that carry an ETag are those served from the watch cache or the metrics cache.',
    }),
    ApiResponse({ status: 304, description: 'Not modified: the answer still has the ETag given in If-None-Match' }),
  );
