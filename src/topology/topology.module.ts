import { Module } from '@nestjs/common';
import { TopologyController } from './topology.controller.js';
import { TopologyService } from './topology.service.js';

@Module({ controllers: [TopologyController], providers: [TopologyService] })
export class TopologyModule {}
