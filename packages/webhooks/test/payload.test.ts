import { describe, expect, it } from 'vitest';
import { buildEventBody, isWebhookEventType, type WebhookEventType } from '../src/payload.ts';

describe('buildEventBody', () => {
  it('builds the {type, timestamp, data} body as compact JSON in that key order', () => {
    const body = buildEventBody(
      'job.failed',
      { job_id: 'j1', status: 'failed' },
      new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
    );
    expect(body).toBe(
      '{"type":"job.failed","timestamp":"2026-01-02T03:04:05.006Z","data":{"job_id":"j1","status":"failed"}}',
    );
  });

  it('normalizes a string timestamp to ISO 8601 UTC and refuses an invalid one', () => {
    const body = JSON.parse(buildEventBody('job.cancelled', {}, '2026-01-02T04:04:05+01:00'));
    expect(body.timestamp).toBe('2026-01-02T03:04:05.000Z');
    expect(() => buildEventBody('job.cancelled', {}, 'yesterday')).toThrow(RangeError);
  });

  it('refuses unknown event types and missing data', () => {
    expect(() => buildEventBody('job.started' as WebhookEventType, {})).toThrow(/unknown webhook event type/);
    expect(() => buildEventBody('job.succeeded', undefined)).toThrow(/data is required/);
  });

  it('knows exactly the four event types', () => {
    for (const t of ['job.succeeded', 'job.failed', 'job.cancelled', 'job.waiting_approval']) {
      expect(isWebhookEventType(t)).toBe(true);
    }
    expect(isWebhookEventType('job.running')).toBe(false);
  });
});
