import { DynamicModule, Module, Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { READINESS_DETAILS, ReadinessDetail } from './readiness-details';
import { ShutdownDrain } from './shutdown-drain';

@Module({})
export class HealthModule {
  /** `details`: providers (exported by modules imported here) that add to /health/ready. */
  static forRoot(
    options: { imports?: DynamicModule['imports']; details?: Type<ReadinessDetail>[] } = {},
  ): DynamicModule {
    const details = options.details ?? [];
    return {
      module: HealthModule,
      imports: [
        TerminusModule.forRoot({ errorLogStyle: 'json', gracefulShutdownTimeoutMs: 0 }),
        ...(options.imports ?? []),
      ],
      controllers: [HealthController],
      providers: [
        ShutdownDrain,
        { provide: READINESS_DETAILS, inject: details, useFactory: (...all: ReadinessDetail[]) => all },
      ],
    };
  }
}
