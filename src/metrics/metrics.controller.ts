import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../auth/auth.decorators.js';
import { ConditionalGet } from '../common/api-docs.decorators.js';
import { PrometheusEndpoint } from '../prometheus/prometheus-docs.decorators.js';
import { MetricsQueryDto, MetricsResponseDto } from './dto/metrics.dto.js';
import { MetricsService } from './metrics.service.js';

const INBOUND =
  'Istio standard metrics as the destination proxy reports them (reporter="destination", destination_service_name=service, destination_service_namespace=namespace).';

@ApiTags('metrics')
@Authenticated()
@PrometheusEndpoint()
@Controller('istio/metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('rps')
  @ApiOperation({ summary: 'Get requests-per-second timeseries', description: `Requests per second: sum(rate(istio_requests_total[window])). ${INBOUND}` })
  @ApiOkResponse({ type: MetricsResponseDto })
  @ConditionalGet()
  rps(@Query() query: MetricsQueryDto) {
    return this.metrics.timeseries('rps', query);
  }

  @Get('error-rate')
  @ApiOperation({
    summary: 'Get error rate timeseries',
    description: `Share of requests (0 to 1) that failed: HTTP 5xx, response code 0 (no response), or a non-OK gRPC status (1-16) on an HTTP 200. 4xx are not failures. ${INBOUND}`,
  })
  @ApiOkResponse({ type: MetricsResponseDto })
  @ConditionalGet()
  errorRate(@Query() query: MetricsQueryDto) {
    return this.metrics.timeseries('error-rate', query);
  }

  @Get('latency')
  @ApiOperation({
    summary: 'Get P99 latency timeseries',
    description: `99th percentile of istio_request_duration_milliseconds in milliseconds (histogram_quantile over all requests). ${INBOUND}`,
  })
  @ApiOkResponse({ type: MetricsResponseDto })
  @ConditionalGet()
  latency(@Query() query: MetricsQueryDto) {
    return this.metrics.timeseries('latency', query);
  }
}
