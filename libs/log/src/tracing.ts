import type http from 'node:http';
import { context, propagation, trace, SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AlwaysOffSampler, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

const state: { provider?: NodeTracerProvider } = {};

/**
 * OpenTelemetry for this process, once: W3C trace context in and out of every server and every
 * subgraph fetch, the trace id on every log line, and spans exported by OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (`<endpoint>/v1/traces`). Without an endpoint the ids are
 * still made and passed on, so logs of one request correlate across processes; nothing is
 * recorded then (spans that no exporter would take cost every request their attributes, events
 * and timings for nothing), and the trace context passed on says "not sampled".
 */
export function initTracing(serviceName = process.env.OTEL_SERVICE_NAME || 'citypoints'): void {
  if (state.provider) return;
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const spanProcessors: SpanProcessor[] = endpoint ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }))] : [];
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), spanProcessors, ...(endpoint ? {} : { sampler: new AlwaysOffSampler() }) });
  provider.register();
  state.provider = provider;
}

/** Flushes and stops the exporter (at shutdown). */
export async function shutdownTracing(): Promise<void> {
  const p = state.provider;
  state.provider = undefined;
  await p?.shutdown().catch(() => undefined);
}

export function tracer(): Tracer {
  return trace.getTracer('citypoints');
}

/** The active span's trace and span ids, when there is a sampled span. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId };
}

/**
 * Runs an HTTP request's handling inside a server span continuing the caller's trace
 * (`traceparent`), ended when the response is finished.
 */
export function withServerSpan<T>(name: string, req: http.IncomingMessage, res: http.ServerResponse, fn: () => T): T {
  const parent = propagation.extract(context.active(), req.headers);
  const span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': (req.url ?? '').split('?')[0] } }, parent);
  res.once('finish', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  res.once('close', () => span.end());
  return context.with(trace.setSpan(parent, span), fn);
}

/** A client span around `fn`, given the headers to send with the trace context injected. */
export async function withClientSpan<T>(name: string, attributes: Record<string, string>, fn: (headers: Record<string, string>, span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    try {
      return await fn(headers, span);
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  });
}
