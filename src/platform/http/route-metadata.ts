import type { ExecutionContext, Type } from '@nestjs/common';

export type RouteHandler = ReturnType<ExecutionContext['getHandler']>;

/**
 * A value derived from a route's decorators, resolved once per (controller, handler) and then read
 * from two WeakMap lookups: guards on every request allocate nothing and never walk metadata again.
 * Keyed by controller too, because one inherited handler can serve controllers whose class-level
 * metadata differs.
 */
export class PerRoute<T> {
  private readonly byController = new WeakMap<Type, WeakMap<RouteHandler, { value: T }>>();

  constructor(private readonly resolve: (handler: RouteHandler, controller: Type) => T) {}

  of(context: ExecutionContext): T {
    const controller = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.byController.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.byController.set(controller, byHandler);
    }
    let entry = byHandler.get(handler);
    if (entry === undefined) {
      entry = { value: this.resolve(handler, controller) };
      byHandler.set(handler, entry);
    }
    return entry.value;
  }
}
