import type { FastifyInstance } from 'fastify';
import type { MetricsService } from './metrics.service';

/**
 * Counts and times every response the public listener sends, whoever produced it (controller,
 * guard, filter, Fastify's 404 or its own parser errors), with an onResponse hook. The route label
 * is the matched route template (`/v1/payments/:id`), never the URL the client sent; requests no
 * route matched share one label. Nothing is added when metrics are off.
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  if (!metrics.enabled) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.is404 ? undefined : request.routeOptions.url;
    metrics.httpResponse(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
