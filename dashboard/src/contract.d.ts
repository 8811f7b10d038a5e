/** The contract's schemas the dashboard reads, picked from openapi/openapi.json at build time (build.ts). */
declare module 'tuneplane:contract' {
  const schemas: Record<string, import('./lib/schema').JsonSchema>;
  export default schemas;
}
