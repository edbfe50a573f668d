await import('/work/main/cli/control-plane.ts');
const { createRequire } = await import('node:module');
// list loaded esm modules? use process.moduleLoadList is builtins only
