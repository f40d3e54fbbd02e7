import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto.js';

export const PROMETHEUS_502 =
  'Prometheus answered with an error (PROMETHEUS_ERROR): it could not evaluate the query (`details.errorType`, e.g. bad_data or execution), refused this service\'s credentials, or sent an unexpected response. The upstream body is never returned.';
export const PROMETHEUS_503 =
  'PROMETHEUS_URL is not set (PROMETHEUS_NOT_CONFIGURED), or Prometheus is unreachable, timed out (PROMETHEUS_TIMEOUT_MS) or overloaded (PROMETHEUS_UNAVAILABLE)';

/** Documents the errors of endpoints that query Prometheus. */
export const PrometheusEndpoint = () =>
  applyDecorators(
    ApiResponse({ status: 400, description: 'Missing or invalid parameters (VALIDATION_FAILED)', type: ErrorResponseDto }),
    ApiResponse({ status: 502, description: PROMETHEUS_502, type: ErrorResponseDto }),
    ApiResponse({ status: 503, description: PROMETHEUS_503, type: ErrorResponseDto }),
  );
