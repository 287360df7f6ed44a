// What the API needs to know about models and tools to refuse a job it can't run (4xx at submit instead of
// a failed job later). main.ts builds it from @agentq/models and @agentq/tools; the API never runs them.
export interface SubmitCatalog {
  defaultModel(): string;
  /** undefined when the model can be used; otherwise why not (no credentials, unknown, disabled). */
  modelProblem(name: string): string | undefined;
  /** Names that the deployment does not offer. */
  unknownTools(names: string[]): string[];
}
