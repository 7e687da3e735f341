import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` writes a migration for each schema change; they are committed
// and applied when a store opens.
export default defineConfig({
  dialect: 'sqlite',
  schema: './runner/store/schema.ts',
  out: './runner/store/migrations',
});
