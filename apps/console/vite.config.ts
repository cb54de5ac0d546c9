import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// Served by the API at /console (same origin, no CDN): every asset is a file under dist/ and every
// URL is below /console/. `npm run dev` proxies the API's routes to a service on :3000.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: { '/v1': 'http://localhost:3000', '/health': 'http://localhost:3000' },
  },
})
