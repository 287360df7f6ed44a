import { describe, expect, it } from 'vitest';
import { summarizeForMemory } from '../src/index.ts';

describe('summarizeForMemory', () => {
  it('keeps the task and the result, whitespace collapsed', () => {
    expect(summarizeForMemory('  Convert 5 miles\n to km ', 'About 8.05 km.\n')).toBe(
      'Task: Convert 5 miles to km\nResult: About 8.05 km.',
    );
  });

  it('cuts long parts so a summary stays a short memory', () => {
    const summary = summarizeForMemory('t'.repeat(2000), 'r'.repeat(5000)) ?? '';
    const [task, result] = summary.split('\n');
    expect(task).toHaveLength('Task: '.length + 500);
    expect(task?.endsWith('…')).toBe(true);
    expect(result).toHaveLength('Result: '.length + 1500);
  });

  it('has nothing to save without a task or a result', () => {
    expect(summarizeForMemory('task', '   ')).toBeUndefined();
    expect(summarizeForMemory('', 'result')).toBeUndefined();
  });
});
