import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", assetsInlineLimit: 4096, sourcemap: false },
  test: { include: ["tests/**/*.test.ts"], environment: "node" },
});
