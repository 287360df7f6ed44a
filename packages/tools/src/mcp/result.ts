// Maps an MCP tools/call result onto a ToolResult without losing what the model needs: text is kept as is,
// structuredContent becomes `structured`, isError stays isError, and content the model cannot read here
// (images, audio, binary resources) is described rather than dropped silently.
import type { ToolResult } from '@agentq/agent';
import type { CallToolResponse } from './connection.ts';

type Block = Extract<CallToolResponse, { content: unknown }>['content'][number];

const base64Bytes = (data: string) =>
  Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);

function describeBlock(block: Block): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
    case 'audio':
      return `[${block.type}: ${block.mimeType}, ${base64Bytes(block.data)} bytes, not shown]`;
    case 'resource': {
      const r = block.resource;
      if ('text' in r) return `[resource ${r.uri}${r.mimeType ? ` (${r.mimeType})` : ''}]\n${r.text}`;
      return `[resource ${r.uri}: ${r.mimeType ?? 'binary'}, ${base64Bytes(r.blob)} bytes, not shown]`;
    }
    case 'resource_link':
      return `[resource link: ${block.name} <${block.uri}>${block.description ? ` ${block.description}` : ''}]`;
    default:
      return `[${(block as { type: string }).type} content, not shown]`;
  }
}

export function mapCallResult(response: CallToolResponse): ToolResult {
  // Servers on the 2024-10-07 protocol answer {toolResult} instead of content blocks.
  if (!('content' in response) || !Array.isArray(response.content)) {
    const legacy = 'toolResult' in response ? response.toolResult : response;
    return { content: JSON.stringify(legacy), structured: legacy };
  }
  const text = response.content.map(describeBlock).join('\n');
  const structured = response.structuredContent;
  return {
    content: text || (structured === undefined ? '' : JSON.stringify(structured)),
    ...(structured === undefined ? {} : { structured }),
    ...(response.isError === true ? { isError: true } : {}),
  };
}
