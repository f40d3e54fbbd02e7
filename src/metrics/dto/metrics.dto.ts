import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, ValidateBy } from 'class-validator';
import { DNS1123_LABEL, DNS1123_LABEL_MESSAGE } from '../../common/validation.js';
import { NamespaceQueryDto } from '../../istio/dto/istio-requests.dto.js';
import { DEFAULT_RANGE, RANGE_DESCRIPTION, rangeProblem } from '../../prometheus/range.js';
import { METRIC_NAMES } from '../metric-definitions.js';

/** Validates a `range` query parameter with the pure rules of prometheus/range.ts. */
const IsMetricsRange = () =>
  ValidateBy({
    name: 'isMetricsRange',
    validator: { validate: (value) => rangeProblem(value) === undefined, defaultMessage: (args) => rangeProblem(args?.value) ?? '' },
  });

/** Metrics read Prometheus only: no kubeconfig parameter. */
export class MetricsQueryDto extends OmitType(NamespaceQueryDto, ['kubeconfig'] as const) {
  @ApiProperty({
    description: 'Service name, matched against Istio\'s destination_service_name (DNS-1123 label)',
    example: 'payment-service',
    maxLength: 63,
    pattern: DNS1123_LABEL.source,
  })
  // Decorators register bottom-up and run in that order: with stopAtFirstError a missing value reports "required".
  @Matches(DNS1123_LABEL, { message: `service ${DNS1123_LABEL_MESSAGE}` })
  @MaxLength(63, { message: `service ${DNS1123_LABEL_MESSAGE}` })
  @IsString({ message: 'service is required' })
  service: string;

  @ApiPropertyOptional({ description: RANGE_DESCRIPTION, default: DEFAULT_RANGE, example: '1h', pattern: '^[0-9]+[smhdw]$' })
  @IsOptional()
  @IsMetricsRange()
  range?: string;
}

export class MetricPointDto {
  @ApiProperty({ type: 'integer', example: 1700000000, description: 'Unix seconds' })
  timestamp: number;

  @ApiProperty({ example: 12.4, description: 'Always a finite JSON number' })
  value: number;
}

export class MetricsResponseDto {
  @ApiProperty({ enum: METRIC_NAMES, example: 'rps' })
  metric: string;

  @ApiProperty({ example: 'payment-service' })
  service: string;

  @ApiProperty({ example: 'payments' })
  namespace: string;

  @ApiProperty({ enum: ['requests/s', 'ratio', 'ms'], example: 'requests/s', description: 'rps: requests/s; error-rate: ratio (0 to 1); latency: ms' })
  unit: string;

  @ApiProperty({ example: '1h', description: 'The range used (as requested, or the default 1h)' })
  range: string;

  @ApiProperty({ type: 'integer', example: 30, description: 'Seconds between points: the smallest of 15s 30s 1m 2m 3m 5m 10m 15m 30m 1h 2h 3h 6h 12h 1d that is >= range/120 (60-120 points for ranges of 30m or more)' })
  step: number;

  @ApiProperty({ type: 'integer', example: 60, description: 'rate() window in seconds: max(step, 60); each point covers the window ending at its timestamp' })
  window: number;

  @ApiProperty({ type: 'integer', example: 1699996430, description: 'Unix seconds of the first point asked for' })
  start: number;

  @ApiProperty({ type: 'integer', example: 1700000000, description: 'Unix seconds of the last point asked for: now rounded down to a multiple of step' })
  end: number;

  @ApiProperty({
    type: [MetricPointDto],
    description:
      'Points at start, start+step, ..., end, oldest first. A time without a value is left out (no sample, or an undefined value such as the error rate or latency of a time without requests): gaps are missing points, never null, NaN or strings. No data at all: an empty array.',
    example: [
      { timestamp: 1700000000, value: 12.4 },
      { timestamp: 1700000060, value: 13.1 },
    ],
  })
  timeseries: MetricPointDto[];
}
