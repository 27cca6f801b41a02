export type SpfLintCode = string;
export interface SpfLintFinding { code: string }
export interface SpfLintNode { domain: string }
export interface SpfLintReport { domain: string }
export async function lintSpf(domain: string, _o: unknown): Promise<SpfLintReport> { return { domain }; }
