import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Streamlit serves dist/ from a sub-path inside an iframe, so every asset URL must be relative.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2000, // elkjs alone is ~1.5 MB minified; it is loaded once per frame
  },
});
