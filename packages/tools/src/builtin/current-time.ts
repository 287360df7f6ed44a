// current_time: models do not know what day it is; this tells them.
import type { Tool, ToolResult } from '@agentq/agent';
import { errorResult } from '../result.ts';

/** ISO 8601 local time with its UTC offset, and the weekday, in an IANA zone (throws RangeError for bad zones). */
function localTime(at: Date, timeZone: string): { local: string; weekday: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    weekday: 'long',
    timeZoneName: 'longOffset',
  }).formatToParts(at);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  const offset = p.timeZoneName === 'GMT' ? '+00:00' : String(p.timeZoneName).replace('GMT', '');
  return {
    local: `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offset}`,
    weekday: String(p.weekday),
  };
}

export function currentTimeTool(now: () => Date = () => new Date()): Tool {
  return {
    name: 'current_time',
    description:
      'Get the current date and time: ISO 8601 in UTC, plus the local time in an IANA time zone if you give ' +
      'one (e.g. "Europe/Paris").',
    inputSchema: {
      type: 'object',
      properties: {
        timezone: { type: 'string', minLength: 1, maxLength: 64, description: 'IANA time zone name.' },
      },
      additionalProperties: false,
    },
    policy: 'safe',
    async execute(raw): Promise<ToolResult> {
      const { timezone } = raw as { timezone?: string };
      const at = now();
      const utc = at.toISOString();
      if (!timezone) return { content: utc, structured: { utc, unixMs: at.getTime() } };
      let local: { local: string; weekday: string };
      try {
        local = localTime(at, timezone);
      } catch {
        return errorResult(`unknown time zone "${timezone}"; use an IANA name such as "America/New_York"`);
      }
      return {
        content: `${utc} (UTC)\n${local.local} (${local.weekday}, ${timezone})`,
        structured: { utc, unixMs: at.getTime(), timezone, ...local },
      };
    },
  };
}
