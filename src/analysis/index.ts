export * from './queries/index.ts';
export * from './report/index.ts';
export * from './safety-report.ts';
