import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ENV } from './config.constants';
import type { Env } from './environment';

/**
 * Makes the environment validated by `loadEnvironment` available everywhere: typed as `ENV`,
 * and through @nestjs/config's ConfigService. Nothing is read from .env files or re-read from
 * process.env after validation: configuration is environment-only and checked once.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, skipProcessEnv: true, cache: true, load: [() => ({ ...env })] }),
      ],
      providers: [{ provide: ENV, useValue: env }],
      exports: [ENV, ConfigModule],
    };
  }
}
