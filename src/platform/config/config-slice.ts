import { registerAs, type ConfigFactory, type ConfigFactoryKeyHost } from '@nestjs/config';
import type { Env } from './environment';

/**
 * A module's typed view of the validated environment: a `registerAs` namespace whose value is
 * `select(env)`, where `env` is the one `Env` that `loadEnvironment` validated at boot (or that a
 * test passed to `AppModule.forRoot(env)`). Nothing here reads process.env.
 *
 * Inject it with `@Inject(xConfig.KEY) private readonly config: ConfigType<typeof xConfig>`; read
 * it outside Nest (a spec constructing a class) with `xConfig.select(env)`.
 */
export type ConfigSlice<T extends object> = ConfigFactory<T> &
  ConfigFactoryKeyHost<T> & {
    readonly namespace: string;
    select(env: Env): T;
    /** The `registerAs` factory for one application's env (used by AppConfigModule.forRoot). */
    forEnv(env: Env): ConfigFactory<T> & ConfigFactoryKeyHost<T>;
  };

export function configSlice<T extends object>(namespace: string, select: (env: Env) => T): ConfigSlice<T> {
  const unbound = registerAs(namespace, (): T => {
    throw new Error(
      `config slice "${namespace}" is loaded by AppConfigModule.forRoot(env); use ${namespace}Config.select(env) outside Nest`,
    );
  });
  return Object.assign(unbound, {
    namespace,
    select: (env: Env): T => Object.freeze(select(env)),
    forEnv: (env: Env) => registerAs(namespace, (): T => Object.freeze(select(env))),
  });
}
