import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, type ConfigFactory } from '@nestjs/config';
import { ENV } from './config.constants';
import type { Env } from './environment';

/**
 * Makes the environment validated by `loadEnvironment` available everywhere, once: each module's
 * slice under its `registerAs` namespace (`@Inject(xConfig.KEY)`, or `ConfigService.get('x.y')`),
 * and the whole `Env` as `ENV` for bootstrap code. Nothing is read from .env files or re-read
 * from process.env after validation: configuration is environment-only and checked once.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(env: Env, slices: readonly { forEnv(env: Env): ConfigFactory }[] = []): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          cache: true,
          load: [() => ({ ...env }), ...slices.map((slice) => slice.forEnv(env))],
        }),
      ],
      providers: [{ provide: ENV, useValue: env }],
      exports: [ENV],
    };
  }
}
