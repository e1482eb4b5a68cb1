import type http from 'node:http';
import { context, propagation, ROOT_CONTEXT, trace, SpanKind, SpanStatusCode, type Attributes, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor, InMemorySpanExporter, SamplingDecision, SimpleSpanProcessor, type ReadableSpan, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

const state: { provider?: NodeTracerProvider; captures: Set<SpanProcessor> } = { captures: new Set() };

/** Hands ended spans to the captures a test has open (none in production: a loop over nothing). */
const captureProcessor: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (span) => {
    for (const p of state.captures) p.onEnd(span);
  },
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

/** Without an exporter, spans are recorded only while a capture (a test's) is open. */
const recordWhileCaptured: Sampler = {
  shouldSample: () => ({ decision: state.captures.size > 0 ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD }),
  toString: () => 'RecordWhileCaptured',
};

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
  spanProcessors.push(captureProcessor);
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), spanProcessors, ...(endpoint ? {} : { sampler: recordWhileCaptured }) });
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

/** Runs `fn` in the span, marks the span failed when it throws, and ends it either way. */
async function endingSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
    throw e;
  } finally {
    span.end();
  }
}

/** A client span around `fn`, given the headers to send with the trace context injected. */
export async function withClientSpan<T>(name: string, attributes: Record<string, string>, fn: (headers: Record<string, string>, span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    return endingSpan(span, () => fn(headers, span));
  });
}

export interface SpanCapture {
  /** every span ended since the capture began */
  spans(): ReadableSpan[];
  stop(): void;
}

/** Keeps the spans this process ends in memory (tests), beside any exporter. */
export function captureSpans(): SpanCapture {
  initTracing();
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  state.captures.add(processor);
  return {
    spans: () => exporter.getFinishedSpans(),
    stop() {
      state.captures.delete(processor);
      exporter.reset();
    },
  };
}

/**
 * The active span as a W3C `traceparent`, to be stored with work that outlives the request (an
 * outbox row, a job) and continued where that work is done; undefined outside a span.
 */
export function currentTraceparent(): string | undefined {
  if (!trace.getActiveSpan()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The remote span context a stored `traceparent` names, as a context to start children in. */
function contextOf(traceparent: string | undefined): Context | undefined {
  if (!traceparent) return undefined;
  const ctx = propagation.extract(ROOT_CONTEXT, { traceparent });
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? ctx : undefined;
}

/**
 * Runs work that a request started elsewhere (an event, a queued job) in a consumer span: a child
 * of the stored `traceparent`, linked to it too (a span of its own trace when there is none), so
 * the trace of a request continues into every process that acts on it.
 */
export async function withConsumerSpan<T>(name: string, traceparent: string | undefined, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = contextOf(traceparent);
  const links: Link[] = parent ? [{ context: trace.getSpanContext(parent)! }] : [];
  return tracer().startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes, links, root: !parent }, parent ?? context.active(), (span) => endingSpan(span, () => fn(span)));
}

/** A span of this process inside the active one (e.g. one consumer's applying of an event). */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, (span) => endingSpan(span, () => fn(span)));
}
