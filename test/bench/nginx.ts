/**
 * A fast local target for benchmarks: Debian's nginx with one worker, pinned to one core,
 * answering a small body on a free port on 127.0.0.1.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitUntil } from "../harness/index.js";

export interface NginxHandle {
  url: string;
  stop(): Promise<void>;
}

export function findNginx(): string | undefined {
  for (const candidate of ["/usr/sbin/nginx", "/usr/bin/nginx"]) {
    if (spawnSync(candidate, ["-v"]).status === 0) return candidate;
  }
  return undefined;
}

export async function startNginx(options: { core: number }): Promise<NginxHandle> {
  const binary = findNginx();
  if (!binary) throw new Error("nginx not found: apt-get install -y nginx-light");
  const dir = await mkdtemp(join(tmpdir(), "assay-bench-nginx-"));
  await mkdir(join(dir, "logs"));
  const port = await freePort();
  const config = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / { default_type text/plain; return 200 "ok\\n"; }
  }
}
`;
  await writeFile(join(dir, "nginx.conf"), config);
  const child = spawn("taskset", ["-c", String(options.core), binary, "-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}/`;
  await waitUntil(async () => (await fetch(url)).ok, { timeoutMs: 10_000, what: "nginx to answer" });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
