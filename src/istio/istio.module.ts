import { Module } from '@nestjs/common';
import { IstioStatusService } from './istio-status.service.js';
import { IstioController } from './istio.controller.js';
import { SecurityPoliciesService } from './security-policies.service.js';
import { VirtualServicesService } from './virtual-services.service.js';

@Module({
  controllers: [IstioController],
  providers: [IstioStatusService, VirtualServicesService, SecurityPoliciesService],
  exports: [VirtualServicesService],
})
export class IstioModule {}
