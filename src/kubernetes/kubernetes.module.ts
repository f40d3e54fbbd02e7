import { Global, Module } from '@nestjs/common';
import { ClusterClientFactory } from './cluster-client.factory.js';
import { ClusterResolver } from './cluster.resolver.js';

@Global()
@Module({ providers: [ClusterResolver, ClusterClientFactory], exports: [ClusterResolver] })
export class KubernetesModule {}
