import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { DNS1123_LABEL, DNS1123_LABEL_MESSAGE, DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MESSAGE } from '../../common/validation.js';

const KUBECONFIG_DESCRIPTION =
  'Base64-encoded kubeconfig of another cluster (overrides KUBECONFIG_PATH). Prefer the X-Kubeconfig header, which keeps credentials out of URLs. Only passive fields are accepted: https server, certificate-authority-data, tls-server-name, token or client-certificate-data + client-key-data; anything else (exec, auth-provider, token-file, file paths, impersonation, proxy-url, insecure-skip-tls-verify) answers 400.';

// class-validator runs a property's checks bottom-up; with stopAtFirstError the basic type check
// therefore sits last so its message wins.
export class KubeconfigQueryDto {
  @ApiPropertyOptional({ description: KUBECONFIG_DESCRIPTION })
  @IsOptional()
  @IsString()
  kubeconfig?: string;
}

export class NamespaceQueryDto extends KubeconfigQueryDto {
  @ApiProperty({ description: 'Kubernetes namespace to query', example: 'payments', maxLength: 63, pattern: DNS1123_LABEL.source })
  @MaxLength(63, { message: `namespace ${DNS1123_LABEL_MESSAGE}` })
  @Matches(DNS1123_LABEL, { message: `namespace ${DNS1123_LABEL_MESSAGE}` })
  @IsString({ message: 'namespace is required, once' })
  namespace: string;
}

export class ResourcePathDto {
  @ApiProperty({ description: 'Kubernetes namespace', example: 'payments', maxLength: 63, pattern: DNS1123_LABEL.source })
  @MaxLength(63, { message: `namespace ${DNS1123_LABEL_MESSAGE}` })
  @Matches(DNS1123_LABEL, { message: `namespace ${DNS1123_LABEL_MESSAGE}` })
  namespace: string;

  @ApiProperty({ description: 'VirtualService name', example: 'payment-service', maxLength: 253, pattern: DNS1123_SUBDOMAIN.source })
  @MaxLength(253, { message: `name ${DNS1123_SUBDOMAIN_MESSAGE}` })
  @Matches(DNS1123_SUBDOMAIN, { message: `name ${DNS1123_SUBDOMAIN_MESSAGE}` })
  name: string;
}

export class WeightDto {
  @ApiProperty({
    description: "A route destination's subset, or its host (short name or FQDN) where it has no subset",
    example: 'canary',
  })
  @Length(1, 253, { message: 'destination must be 1 to 253 characters' })
  @IsString({ message: 'destination must be a string' })
  destination: string;

  @ApiProperty({ type: 'integer', description: 'Whole number from 0 to 100; all weights must sum to 100', example: 20, minimum: 0, maximum: 100 })
  @Min(0, { message: 'weight must be at least 0' })
  @Max(100, { message: 'weight must be at most 100' })
  @IsInt({ message: 'weight must be a whole number' })
  weight: number;
}

export class UpdateWeightsDto {
  @ApiProperty({
    type: [WeightDto],
    description: 'The new split. Names every destination of the route(s) to change, each once; weights sum to 100.',
    example: [
      { destination: 'stable', weight: 80 },
      { destination: 'canary', weight: 20 },
    ],
  })
  @ValidateNested({ each: true })
  @Type(() => WeightDto)
  @ArrayMinSize(1, { message: 'weights must name at least one destination' })
  @ArrayMaxSize(64, { message: 'weights may name at most 64 destinations' })
  @IsArray({ message: 'weights must be an array' })
  weights: WeightDto[];

  @ApiPropertyOptional({
    description: 'Name of the HTTP route to change. Without it, every HTTP route whose destinations are exactly the named set changes.',
    example: 'primary',
  })
  @IsOptional()
  @IsString()
  @Length(1, 253)
  route?: string;

  @ApiPropertyOptional({ description: KUBECONFIG_DESCRIPTION })
  @IsOptional()
  @IsString()
  kubeconfig?: string;
}
