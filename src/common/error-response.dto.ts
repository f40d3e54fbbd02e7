import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS } from './api-error.js';

/** Codes answered by Nest/Fastify themselves (no ApiError behind them). */
const FRAMEWORK_CODES = ['METHOD_NOT_ALLOWED', 'NOT_ACCEPTABLE', 'HEADERS_TOO_LARGE', 'CLIENT_ERROR'];
export const ERROR_CODES = [...Object.keys(ERROR_STATUS), ...FRAMEWORK_CODES];

export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({ example: 'namespace must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters)' })
  message: string;

  @ApiProperty({
    description: 'Stable machine-readable code; switch on this, not on the message',
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
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
